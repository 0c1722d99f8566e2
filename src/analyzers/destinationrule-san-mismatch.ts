// ISTIO_MUTUAL with subjectAltNames: the names replace the service accounts Istio would expect
// (cluster_tls.go buildUpstreamTLSSettings: "Use Service Accounts if Subject Alt names are not
// specified"), and Envoy matches the server certificate's SAN exactly. A server whose SPIFFE identity
// (trust domain, namespace, service account) is not listed fails the handshake.
import { affectedNamespaces, describeClients, failuresWithReason, groupBy } from './connectivity-failures.js';
import { describeRuleChoice, describeTargets, drRef, firstSymptom, ruleOf } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';

export const destinationRuleSanMismatch: Analyzer = {
  name: 'DestinationRuleSanMismatch',
  codes: ['destinationrule-san-mismatch'],
  analyze(mesh) {
    const failures = failuresWithReason(mesh, 'destinationrule-san-mismatch').filter((f) => f.outcome.rule);
    const byRule = groupBy(failures, (f) => {
      const rule = f.outcome.rule ? ruleOf(f.outcome.rule.rule) : undefined;
      return `${rule?.meta.namespace}/${rule?.meta.name}#${f.outcome.resolvedTls?.path}`;
    });
    const findings: Finding[] = [];
    for (const group of byRule.values()) {
      const first = group[0];
      const match = first?.outcome.rule;
      const names = first?.outcome.resolvedTls?.tls?.subjectAltNames ?? [];
      if (!first || !match) continue;
      const rule = ruleOf(match.rule);
      const path = first.outcome.resolvedTls?.path ?? 'spec.trafficPolicy.tls';
      const identities = [
        ...new Set(group.flatMap((f) => f.backends.map((b) => b.serverIdentity).filter((i) => !!i))),
      ] as string[];
      findings.push(
        finding({
          code: 'destinationrule-san-mismatch',
          message: `${describeClients(group)} fail the TLS handshake with ${describeTargets(group)}: DestinationRule ${rule.meta.namespace}/${rule.meta.name} accepts only ${names.join(', ')} (${path}.subjectAltNames), but the server presents ${identities.join(', ')}. Callers see: ${firstSymptom(group)}.`,
          why: [
            describeRuleChoice(group.map((f) => f.outcome.rule)),
            `subjectAltNames in an ISTIO_MUTUAL rule replace the identities Istio would expect (the service's service accounts), and Envoy compares them exactly: ${identities.map((id) => differenceFrom(id, names)).join('; ')}.`,
          ],
          fix: `Add ${identities.join(', ')} to ${path}.subjectAltNames, or remove subjectAltNames to accept the service's own service accounts.`,
          resource: drRef(rule),
          location: rule.meta.source,
          path: `${path}.subjectAltNames`,
          related: group.map((f) => f.target.ref),
          namespaces: affectedNamespaces(mesh, group),
        }),
      );
    }
    return findings;
  },
};

/** Which part of the nearest listed SPIFFE name differs: trust domain, namespace or service account. */
function differenceFrom(identity: string, names: readonly string[]): string {
  const actual = parseSpiffe(identity);
  const listed = names.map(parseSpiffe).filter((n): n is SpiffeParts => !!n);
  if (!actual || listed.length === 0) return `${identity} is not listed (none of the names is a SPIFFE ID)`;
  const parts = (n: SpiffeParts) =>
    (['trustDomain', 'namespace', 'serviceAccount'] as const).filter((k) => n[k] !== actual[k]);
  const nearest = listed.reduce((best, n) => (parts(n).length < parts(best).length ? n : best));
  const words = { trustDomain: 'trust domain', namespace: 'namespace', serviceAccount: 'service account' };
  const diff = parts(nearest).map((k) => `${words[k]} ${nearest[k]} ≠ ${actual[k]}`);
  return `${identity} differs from the nearest listed name in ${diff.join(', ')}`;
}

interface SpiffeParts {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

function parseSpiffe(name: string): SpiffeParts | undefined {
  const m = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(name);
  return m ? { trustDomain: m[1] ?? '', namespace: m[2] ?? '', serviceAccount: m[3] ?? '' } : undefined;
}
