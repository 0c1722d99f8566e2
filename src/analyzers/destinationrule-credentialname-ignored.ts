// A DestinationRule with credentialName but no workloadSelector: sidecars ignore its SIMPLE/MUTUAL
// settings and send plaintext, gateways (router proxies) use them. cluster_tls.go
// buildUpstreamClusterTLSContext returns no TLS context only when `cb.sidecarProxy()` and the rule has
// no selector, and not for `configmap://` credentials. Reported exactly where a sidecar client resolves
// such an entry for a port it calls (not for rules only gateways reach).
import type { MergedDestinationRule } from '../mesh/destination-rules.js';
import { describeClients, type Failure } from './connectivity-failures.js';
import { drRef, ruleOf } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';

interface Use {
  readonly rule: MergedDestinationRule;
  readonly path: string;
  readonly sidecarUses: Failure[];
  readonly gatewayNames: Set<string>;
  failing: boolean;
}

export const destinationRuleCredentialNameIgnored: Analyzer = {
  name: 'DestinationRuleCredentialNameIgnored',
  codes: ['destinationrule-credentialname-ignored'],
  analyze(mesh) {
    const uses = new Map<string, Use>();
    for (const target of mesh.targets) {
      if (target.backends.length === 0 && !target.external) continue;
      const groups = mesh.clientGroups(target);
      for (const port of target.ports) {
        for (const group of groups) {
          if (group.profile.proxy !== 'sidecar') continue;
          const outcome = mesh.outcomeForClass(group, target, port);
          const resolved = outcome.resolvedTls;
          const match = outcome.rule;
          if (!resolved?.credentialIgnored || !match) continue;
          const key = `${match.rule.namespace}/${match.rule.host}#${resolved.path}`;
          let use = uses.get(key);
          if (!use) {
            use = {
              rule: match.rule,
              path: resolved.path,
              sidecarUses: [],
              gatewayNames: new Set(),
              failing: false,
            };
            uses.set(key, use);
          }
          if (group.profile.gateway) {
            for (const w of group.sample(3)) use.gatewayNames.add(`${w.meta.namespace}/${w.meta.name}`);
            continue;
          }
          use.sidecarUses.push({
            target,
            port,
            group,
            outcome,
            backends: outcome.failing,
            reason: 'destinationrule-credentialname-ignored',
          });
          if (outcome.failing.some((b) => b.reason === 'destinationrule-credentialname-ignored'))
            use.failing = true;
        }
      }
    }
    const findings: Finding[] = [];
    for (const use of uses.values()) {
      if (use.sidecarUses.length === 0) continue;
      const rule = ruleOf(use.rule);
      const tls = use.sidecarUses[0]?.outcome.resolvedTls?.tls;
      if (!tls) continue;
      const gateways = [...use.gatewayNames];
      findings.push(
        finding({
          code: 'destinationrule-credentialname-ignored',
          severity: use.failing ? 'error' : 'warning',
          message: `Sidecars ignore ${use.path} of DestinationRule ${rule.meta.namespace}/${rule.meta.name} (${tls.mode} with credentialName ${tls.credentialName}) because the rule has no workloadSelector: ${describeClients(use.sidecarUses)} send plaintext to ${use.rule.host}. Only gateways use credentialName without a selector.`,
          why: [
            'Istio builds no TLS context for credentialName in a DestinationRule without workloadSelector when the proxy is a sidecar (cluster_tls.go buildUpstreamClusterTLSContext: cb.sidecarProxy()); gateways (router proxies) do originate TLS with it.',
            ...(gateways.length > 0
              ? [`Gateways ${gateways.join(', ')} use the same entry and do originate ${tls.mode} with it.`]
              : []),
          ],
          fix: 'Add a workloadSelector selecting the client workloads, send the traffic through an egress gateway, or use file-mounted certificates (clientCertificate/privateKey/caCertificates).',
          resource: drRef(rule),
          location: rule.meta.source,
          path: `${use.path}.credentialName`,
        }),
      );
    }
    return findings;
  },
};
