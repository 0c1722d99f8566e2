// Field guide error 2: the TLS a DestinationRule makes clients send contradicts what the server accepts.

import { isWildcard, namespaceOfServiceHost } from '../mesh/hosts.js';
import type { ResolvedMesh } from '../mesh/resolve.js';
import { createNamespaceDestinationRule, setDestinationRuleTls } from '../remediation/plans.js';
import { affectedNamespaces, describeClients, failuresWithReason, groupBy } from './connectivity-failures.js';
import {
  describeBackendServer,
  describeRoute,
  describeRuleChoice,
  describeTargets,
  drRef,
  firstSymptom,
  paRef,
  ruleOf,
} from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';
import { OTHER_NAMESPACE, staticDestinationRuleConflicts } from './policy-only-conflicts.js';
import { conflictRemedy } from './tls-conflict-plans.js';

export const destinationRuleTlsConflict: Analyzer = {
  name: 'DestinationRuleTlsConflict',
  codes: ['destinationrule-tls-conflict'],
  analyze(mesh) {
    const failures = failuresWithReason(mesh, 'destinationrule-tls-conflict').filter((f) => f.outcome.rule);
    const byRule = groupBy(failures, (f) => {
      const rule = f.outcome.rule ? ruleOf(f.outcome.rule.rule) : undefined;
      return `${rule?.meta.namespace}/${rule?.meta.name}#${f.outcome.resolvedTls?.path}#${f.outcome.tls}`;
    });
    const findings: Finding[] = [];
    for (const group of byRule.values()) {
      const first = group[0];
      const match = first?.outcome.rule;
      const backend = first?.backends[0];
      if (!first || !match || !backend) continue;
      const rule = ruleOf(match.rule);
      // A port entry without tls leaves auto mTLS in charge, but the endpoints are labelled from the
      // top-level tls (mtls_checker.go): the top-level field is the one that decides.
      const viaTopLevel = first.outcome.endpointTlsFromTopLevel;
      const path = viaTopLevel
        ? 'spec.trafficPolicy.tls'
        : (first.outcome.resolvedTls?.path ?? 'spec.trafficPolicy.tls');
      const sends = backend.tls;
      const wantsMtls = backend.serverMode === 'STRICT';
      const target = wantsMtls ? 'ISTIO_MUTUAL' : 'DISABLE';
      const sendsWords =
        sends === 'DISABLE'
          ? 'plaintext'
          : sends === 'ISTIO_MUTUAL'
            ? 'Istio mTLS'
            : `${sends} TLS (not Istio's mTLS)`;
      const how = viaTopLevel
        ? `its entry for port ${first.port.port} sets no tls, so auto mTLS decides, but endpoints are marked from the top-level ${path}.mode (${match.rule.trafficPolicy?.tls?.mode})`
        : `${path}.mode: ${sends}`;
      const remedy = conflictRemedy(mesh, group, match.rule, rule, path, target);
      findings.push(
        finding({
          code: 'destinationrule-tls-conflict',
          message: `${describeClients(group)} send ${sendsWords} to ${describeTargets(group)} because of DestinationRule ${rule.meta.namespace}/${rule.meta.name} (${how}), but the server ${wantsMtls ? 'requires Istio mTLS' : 'accepts only plaintext'}. Callers see: ${firstSymptom(group)}.`,
          why: [
            describeRuleChoice(group.map((f) => f.outcome.rule)),
            ...describeRoute(first.outcome, backend),
            describeBackendServer(backend),
          ],
          fix: remedy.fix,
          resource: drRef(rule),
          location: rule.meta.source,
          path: `${path}.mode`,
          related: group.map((f) => f.target.ref),
          namespaces: affectedNamespaces(mesh, group),
          remediations: remedy.plans,
        }),
      );
    }
    findings.push(...policyOnlyFindings(mesh));
    return findings;
  },
};

function isBroadWildcard(host: string): boolean {
  return isWildcard(host) && namespaceOfServiceHost(host.replace(/^\*\./, 'x.')) === undefined;
}

function policyOnlyFindings(mesh: ResolvedMesh): Finding[] {
  const findings: Finding[] = [];
  for (const c of staticDestinationRuleConflicts(mesh)) {
    const rule = ruleOf(c.rule);
    const scope =
      c.namespace === OTHER_NAMESPACE ? 'services in the other namespaces' : `services in ${c.namespace}`;
    const where = c.policy
      ? `PeerAuthentication ${c.policy.meta.namespace}/${c.policy.meta.name} makes ${scope} ${c.serverMode}`
      : `${scope} are ${c.serverMode}`;
    const target = c.serverMode === 'STRICT' ? 'ISTIO_MUTUAL' : 'DISABLE';
    const sends =
      c.tls === 'DISABLE'
        ? 'plaintext'
        : c.tls === 'ISTIO_MUTUAL'
          ? 'Istio mTLS'
          : `${c.tls} TLS (not Istio's mTLS)`;
    findings.push(
      finding({
        code: 'destinationrule-tls-conflict',
        message: `DestinationRule ${rule.meta.namespace}/${rule.meta.name} makes sidecar clients send ${sends} to ${c.rule.host} (${c.path}.mode: ${c.tls}), but ${where}: those calls fail. The input has no workloads behind this host, so this is judged from the policies alone.`,
        why: [
          `Clients in ${rule.meta.namespace} use this rule first; clients elsewhere use it for services in ${rule.meta.namespace}${rule.meta.namespace === mesh.rootNamespace ? ' and, as root-namespace fallback, for every host it covers' : ''}.`,
          c.serverMode === 'STRICT'
            ? 'A STRICT server accepts only Istio mTLS.'
            : 'A DISABLE server accepts only plaintext.',
        ],
        fix:
          isBroadWildcard(c.rule.host) && c.namespace !== OTHER_NAMESPACE
            ? `Add a more specific rule for *.${c.namespace}.svc.cluster.local with tls.mode ${target} next to this wildcard (changing the wildcard would change every other namespace).`
            : `Set ${c.path}.mode to ${target}, or remove the tls block and let auto mTLS match the server.`,
        resource: drRef(rule),
        location: rule.meta.source,
        path: `${c.path}.mode`,
        related: c.policy ? [paRef(c.policy)] : [],
        namespaces: c.namespace === OTHER_NAMESPACE ? [] : [c.namespace],
        remediations: [
          // A broad wildcard serves other namespaces too: add a narrower rule instead of flipping it.
          isBroadWildcard(c.rule.host) && c.namespace !== OTHER_NAMESPACE
            ? createNamespaceDestinationRule(rule.meta.namespace, c.namespace, target)
            : setDestinationRuleTls(rule, c.path, target),
        ],
      }),
    );
  }
  return findings;
}
