// When the input has no workloads behind a DestinationRule's host (a policy repository, a Kiali or
// field-guide snippet), judge the rule against the PeerAuthentications that would govern those hosts:
// the selector policy named after the service, else the namespace/mesh mode.

import type { MergedDestinationRule } from '../mesh/destination-rules.js';
import { isWildcard, namespaceOfServiceHost, wildcardsCovering } from '../mesh/hosts.js';
import type { ResolvedMesh } from '../mesh/resolve.js';
import type { EffectiveMode } from '../mesh/server-mode.js';
import type { ClientTlsMode, PeerAuthentication } from '../snapshot/types.js';

export interface StaticConflict {
  readonly rule: MergedDestinationRule;
  readonly path: string;
  readonly tls: ClientTlsMode;
  readonly namespace: string;
  readonly serverMode: EffectiveMode;
  readonly policy?: PeerAuthentication;
}

export function staticDestinationRuleConflicts(mesh: ResolvedMesh): StaticConflict[] {
  const conflicts: StaticConflict[] = [];
  const covered = patternsCoveringBackedHosts(mesh);
  const coveredByKnownBackends = (host: string) => covered.has(host);
  const knownNamespaces = new Set<string>([
    ...mesh.snapshot.namespaces.map((n) => n.name),
    ...mesh.snapshot.peerAuthentications.map((p) => p.meta.namespace),
  ]);
  knownNamespaces.delete(mesh.rootNamespace);
  for (const rule of mesh.destinationRules.merged) {
    if (coveredByKnownBackends(rule.host)) continue;
    const entries = [
      { path: 'spec.trafficPolicy.tls', tls: rule.trafficPolicy?.tls?.mode },
      ...(rule.trafficPolicy?.portLevelSettings ?? []).map((p, i) => ({
        path: `spec.trafficPolicy.portLevelSettings[${i}].tls`,
        tls: p.tls?.mode,
      })),
    ];
    for (const { path, tls } of entries) {
      if (!tls) continue;
      for (const server of serversCoveredBy(mesh, rule.host, knownNamespaces)) {
        if (contradicts(tls, server.mode)) {
          conflicts.push({
            rule,
            path,
            tls,
            namespace: server.namespace,
            serverMode: server.mode,
            policy: server.policy,
          });
        }
      }
    }
  }
  return conflicts;
}

/** Every host with backends in the input, and every wildcard pattern that covers one of them. */
function patternsCoveringBackedHosts(mesh: ResolvedMesh): Set<string> {
  const patterns = new Set<string>();
  for (const target of mesh.targets) {
    if (target.backends.length === 0) continue;
    patterns.add(target.host);
    for (const pattern of wildcardsCovering(target.host)) patterns.add(pattern);
  }
  return patterns;
}

interface GoverningPolicy {
  readonly namespace: string;
  readonly mode: EffectiveMode;
  readonly policy?: PeerAuthentication;
}

function serversCoveredBy(mesh: ResolvedMesh, host: string, knownNamespaces: Set<string>): GoverningPolicy[] {
  const index = mesh.peerAuthentications;
  const namespaceMode = (ns: string): GoverningPolicy => {
    const mode = index.namespaceMode(ns);
    return { namespace: ns, mode: mode?.mode ?? 'PERMISSIVE', policy: mode?.policy };
  };
  if (!isWildcard(host)) {
    const ns = namespaceOfServiceHost(host);
    if (!ns) return [];
    const name = host.split('.')[0] ?? '';
    const named = index
      .selectorPolicies(ns)
      .find(
        (p) =>
          p.mode &&
          p.mode !== 'UNSET' &&
          Object.entries(p.selector ?? {}).every(
            ([k, v]) => v === name && (k === 'app' || k === 'app.kubernetes.io/name'),
          ),
      );
    if (named?.mode && named.mode !== 'UNSET') return [{ namespace: ns, mode: named.mode, policy: named }];
    return [namespaceMode(ns)];
  }
  const ns = namespaceOfServiceHost(host.replace(/^\*\./, 'x.'));
  if (ns) return [namespaceMode(ns)];
  // Broad wildcards (`*`, `*.local`, `*.svc.cluster.local`) reach every namespace.
  return [...knownNamespaces]
    .sort()
    .map(namespaceMode)
    .concat(
      index.meshPolicy ? [{ namespace: mesh.rootNamespace, ...namespaceModeOfMesh(index.meshPolicy) }] : [],
    );
}

function namespaceModeOfMesh(policy: PeerAuthentication): {
  mode: EffectiveMode;
  policy: PeerAuthentication;
} {
  return { mode: policy.mode && policy.mode !== 'UNSET' ? policy.mode : 'PERMISSIVE', policy };
}

function contradicts(tls: ClientTlsMode, server: EffectiveMode): boolean {
  if (server === 'STRICT') return tls !== 'ISTIO_MUTUAL';
  if (server === 'DISABLE') return tls === 'ISTIO_MUTUAL';
  return false;
}
