// A DestinationRule in the client's namespace wins over the one the service's owner published (lookup
// order: client namespace, service namespace, root), and a port-level entry without `tls` drops the
// top-level TLS for that port (port-level settings replace the whole policy; util.go
// GetPortLevelTrafficPolicy).
import { isWildcard } from '../mesh/hosts.js';
import { drRef, ruleOf } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';

export const destinationRuleShadowed: Analyzer = {
  name: 'DestinationRuleShadowed',
  codes: ['destinationrule-shadowed'],
  analyze(mesh) {
    const findings: Finding[] = [];
    const targetsByHost = new Map(mesh.targets.map((t) => [t.host, t]));
    for (const merged of mesh.destinationRules.merged) {
      const rule = ruleOf(merged);
      const top = merged.trafficPolicy?.tls;
      merged.trafficPolicy?.portLevelSettings.forEach((entry, index) => {
        if (!top || entry.tls) return;
        findings.push(
          finding({
            code: 'destinationrule-shadowed',
            message: `In DestinationRule ${rule.meta.namespace}/${rule.meta.name}, the port ${entry.port} entry sets no tls, so port ${entry.port} does not get the top-level ${top.mode}: port-level settings replace the top-level policy as a whole, and auto mTLS decides for that port.`,
            why: ['Istio does not merge fields between trafficPolicy and portLevelSettings.'],
            fix: `Repeat tls (mode ${top.mode}) inside the port ${entry.port} entry.`,
            resource: drRef(rule),
            location: rule.meta.source,
            path: `spec.trafficPolicy.portLevelSettings[${index}]`,
          }),
        );
      });
      if (isWildcard(merged.host) || merged.workloadSelector) continue;
      const target = targetsByHost.get(merged.host);
      if (!target || target.namespace === merged.namespace || merged.namespace === mesh.rootNamespace)
        continue;
      // What clients in other namespaces get: the owner's (service namespace) or the root namespace rule.
      const owner = mesh.destinationRules.lookup('', undefined, merged.host, target.namespace);
      const ownerTls = owner?.rule.trafficPolicy?.tls;
      if (!owner || owner.rule === merged || !ownerTls || ownerTls.mode === top?.mode) continue;
      const ownerRule = ruleOf(owner.rule);
      findings.push(
        finding({
          code: 'destinationrule-shadowed',
          message: `Clients in ${merged.namespace} use DestinationRule ${rule.meta.namespace}/${rule.meta.name} for ${merged.host} (tls ${top?.mode ?? 'unset: auto mTLS'}), not the owner's ${ownerRule.meta.namespace}/${ownerRule.meta.name} (tls ${ownerTls.mode}).`,
          why: [
            "Istio looks in the client's namespace first and stops at the first namespace with a matching rule; there is no merging across namespaces.",
          ],
          fix: `Align the TLS settings of both rules, or delete the copy in ${merged.namespace}.`,
          resource: drRef(rule),
          location: rule.meta.source,
          path: 'spec.trafficPolicy.tls',
          related: [drRef(ownerRule), target.ref],
        }),
      );
    }
    return findings;
  },
};
