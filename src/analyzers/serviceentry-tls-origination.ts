// Field guide error 4: calls to an external (MESH_EXTERNAL) host with the wrong TLS: Istio mTLS to a server
// outside the mesh, plaintext to a TLS port (no origination), or TLS wrapped in the app's own TLS.
// Where the port does not say whether the app speaks TLS, only a note (external-app-tls-unknown.ts).

import { appTlsOn } from '../mesh/external-tls.js';
import {
  affectedNamespaces,
  describeClients,
  failuresWithReason,
  groupBy,
  targetName,
} from './connectivity-failures.js';
import { describeRuleChoice, drRef, firstSymptom, ruleOf } from './explain.js';
import { unknownAppTlsNotes } from './external-app-tls-unknown.js';
import { externalRemedy } from './external-tls-plans.js';
import { type Analyzer, type Finding, finding } from './finding.js';

export const serviceEntryTlsOrigination: Analyzer = {
  name: 'ServiceEntryTlsOrigination',
  codes: ['serviceentry-tls-origination'],
  analyze(mesh) {
    const findings: Finding[] = [];
    const failures = failuresWithReason(mesh, 'serviceentry-tls-origination');
    for (const group of groupBy(
      failures,
      (f) => `${targetName(f.target, f.port)}#${f.outcome.tls}`,
    ).values()) {
      const first = group[0];
      if (!first?.target.entry) continue;
      const { target, port, outcome } = first;
      const entry = first.target.entry;
      const rule = outcome.rule ? ruleOf(outcome.rule.rule) : undefined;
      const appSpeaksTls = appTlsOn(port) === 'tls';
      // Patched or added where it takes effect for these clients (external-tls-plans.ts).
      const remedy = externalRemedy(group);
      let problem: string;
      let fix = remedy.fix;
      if (outcome.tls === 'ISTIO_MUTUAL') {
        problem = `the sidecar originates Istio mTLS to ${target.host}, a server outside the mesh that has no Istio certificate`;
      } else if (outcome.tls === 'SIMPLE' || outcome.tls === 'MUTUAL') {
        problem = appSpeaksTls
          ? `port ${port.port} is declared ${port.protocol}, so the app already speaks TLS, and the DestinationRule's ${outcome.tls} wraps it in a second TLS layer`
          : `the DestinationRule originates TLS to port ${port.port}, which the server serves as plaintext`;
        fix = appSpeaksTls
          ? `Either let the app's TLS through (tls.mode DISABLE), or have the app call plain HTTP on a port declared HTTP with targetPort 443 and keep SIMPLE for that port only.`
          : "Remove the TLS origination for this port, or point it at the server's TLS port.";
      } else if (outcome.resolvedTls?.credentialIgnored) {
        problem = `port ${port.port} is declared ${port.protocol} (plaintext from the app) and the server expects TLS, but sidecars ignore the DestinationRule's ${outcome.resolvedTls.tls?.mode} with credentialName (the rule has no workloadSelector) and send the plaintext as it is`;
      } else {
        problem = `port ${port.port} is declared ${port.protocol || 'TCP'} (plaintext from the app) but the server expects TLS, and no DestinationRule originates it`;
        fix = `${remedy.fix} That is the field guide's fix; or declare the port HTTPS and call it with https:// from the app.`;
      }
      findings.push(
        finding({
          code: 'serviceentry-tls-origination',
          message: `Calls from ${describeClients(group)} to external ${targetName(target, port)} fail: ${problem}. Callers see: ${firstSymptom(group)}.`,
          why: [
            `ServiceEntry ${entry.meta.namespace}/${entry.meta.name} declares ${target.host} ${entry.location} with port ${port.port}/${port.protocol || 'TCP'}${port.targetPort !== port.port ? ` (targetPort ${port.targetPort})` : ''}; Istio never uses auto mTLS for MESH_EXTERNAL hosts.`,
            describeRuleChoice(outcome.rule),
          ],
          fix,
          resource: rule
            ? drRef(rule)
            : { kind: 'ServiceEntry', namespace: entry.meta.namespace, name: entry.meta.name },
          location: rule?.meta.source ?? entry.meta.source,
          path: rule ? `${outcome.resolvedTls?.path ?? 'spec.trafficPolicy.tls'}.mode` : 'spec.ports',
          related: rule
            ? [{ kind: 'ServiceEntry', namespace: entry.meta.namespace, name: entry.meta.name }]
            : [],
          namespaces: affectedNamespaces(mesh, group),
          remediations: remedy.plans,
        }),
      );
    }
    findings.push(...unknownAppTlsNotes(mesh));
    return findings;
  },
};
