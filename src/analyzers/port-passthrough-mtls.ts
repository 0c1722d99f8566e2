// A DestinationRule port entry with loadBalancer PASSTHROUGH (and no tls) makes that port's cluster
// ORIGINAL_DST, which has one transport socket for all endpoints. Auto mTLS would fall back to plaintext
// for passthrough clusters with a sidecar-less endpoint, but BestEffortInferServiceMTLSMode is handed
// the rule's top-level policy (cluster_builder.go applyDestinationRule), so it never sees the port-level
// PASSTHROUGH: every endpoint gets Istio mTLS, and pods without a sidecar fail.
import {
  affectedNamespaces,
  describeClients,
  failuresWithReason,
  groupBy,
  targetName,
} from './connectivity-failures.js';
import { describeBackendServer, describeRuleChoice, drRef, firstSymptom, ruleOf } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';

export const portPassthroughMtls: Analyzer = {
  name: 'PortPassthroughMtls',
  codes: ['port-passthrough-mtls'],
  analyze(mesh) {
    const failures = failuresWithReason(mesh, 'port-passthrough-mtls').filter((f) => f.outcome.rule);
    const findings: Finding[] = [];
    for (const group of groupBy(failures, (f) => targetName(f.target, f.port)).values()) {
      const first = group[0];
      const match = first?.outcome.rule;
      const backend = first?.backends[0];
      if (!first || !match || !backend) continue;
      const rule = ruleOf(match.rule);
      const index =
        match.rule.trafficPolicy?.portLevelSettings.findIndex((p) => p.port === first.port.port) ?? -1;
      const path = `spec.trafficPolicy.portLevelSettings[${index}].loadBalancer.simple`;
      findings.push(
        finding({
          code: 'port-passthrough-mtls',
          message: `${describeClients(group)} send Istio mTLS to every pod of ${targetName(first.target, first.port)} because DestinationRule ${rule.meta.namespace}/${rule.meta.name} sets ${path}: PASSTHROUGH, but ${describeBackendServer(backend)}. Callers see: ${firstSymptom(group)}.`,
          why: [
            describeRuleChoice(group.map((f) => f.outcome.rule)),
            'PASSTHROUGH makes the cluster ORIGINAL_DST, which has a single transport socket for every endpoint (no per-endpoint tlsMode match).',
            'Istio checks "every endpoint has a sidecar" for passthrough clusters only when loadBalancer PASSTHROUGH is at the rule\'s top level (BestEffortInferServiceMTLSMode is handed the top-level policy): with a port-level PASSTHROUGH the check is skipped. This looks like an Istio inconsistency; it is what Istio does.',
          ],
          fix: `Move loadBalancer PASSTHROUGH to spec.trafficPolicy (then auto mTLS sends plaintext when any pod lacks a sidecar), set ${path.replace('loadBalancer.simple', 'tls.mode')} to DISABLE, or inject a sidecar into every pod behind the service.`,
          resource: drRef(rule),
          location: rule.meta.source,
          path,
          related: [first.target.ref],
          namespaces: affectedNamespaces(mesh, group),
        }),
      );
    }
    return findings;
  },
};
