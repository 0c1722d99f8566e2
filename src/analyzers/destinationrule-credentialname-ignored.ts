// A DestinationRule with credentialName but no workloadSelector: sidecars ignore its SIMPLE/MUTUAL
// settings and send plaintext (cluster_tls.go buildUpstreamClusterTLSContext; only gateways use it).

import { failuresWithReason } from './connectivity-failures.js';
import { drRef } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';

export const destinationRuleCredentialNameIgnored: Analyzer = {
  name: 'DestinationRuleCredentialNameIgnored',
  codes: ['destinationrule-credentialname-ignored'],
  analyze(mesh) {
    const failing = new Set(
      failuresWithReason(mesh, 'destinationrule-credentialname-ignored').map((f) => f.outcome.rule?.rule),
    );
    const findings: Finding[] = [];
    for (const merged of mesh.destinationRules.merged) {
      if (merged.workloadSelector) continue;
      const policies = [
        { path: 'spec.trafficPolicy', policy: merged.trafficPolicy },
        ...merged.subsets.map((s, i) => ({
          path: `spec.subsets[${i}].trafficPolicy`,
          policy: s.trafficPolicy,
        })),
      ];
      for (const { path, policy } of policies) {
        const entries = [
          { at: `${path}.tls`, tls: policy?.tls },
          ...(policy?.portLevelSettings ?? []).map((p, i) => ({
            at: `${path}.portLevelSettings[${i}].tls`,
            tls: p.tls,
          })),
        ];
        for (const { at, tls } of entries) {
          if (!tls?.credentialName || tls.credentialName.startsWith('configmap://')) continue;
          if (tls.mode !== 'SIMPLE' && tls.mode !== 'MUTUAL') continue;
          const rule = merged.trafficPolicyFrom ?? merged.rules[0];
          if (!rule) continue;
          findings.push(
            finding({
              code: 'destinationrule-credentialname-ignored',
              severity: failing.has(merged) ? 'error' : 'warning',
              message: `Sidecars ignore ${at} of DestinationRule ${rule.meta.namespace}/${rule.meta.name} (${tls.mode} with credentialName ${tls.credentialName}) because the rule has no workloadSelector: they send plaintext to ${merged.host}. Only gateways use credentialName without a selector.`,
              why: [
                'Istio builds no TLS context for credentialName in a sidecar DestinationRule without workloadSelector.',
              ],
              fix: 'Add a workloadSelector selecting the client workloads, or use file-mounted certificates (clientCertificate/privateKey/caCertificates).',
              resource: drRef(rule),
              location: rule.meta.source,
              path: `${at}.credentialName`,
            }),
          );
        }
      }
    }
    return findings;
  },
};
