// When the input has no workloads behind a DestinationRule's host (a policy repository, a Kiali or
// field-guide snippet), judge the rule against the PeerAuthentications that would govern those hosts:
// the selector policy named after the service, else the namespace/mesh mode.

import { type MergedDestinationRule, resolveTls } from '../mesh/destination-rules.js';
import { isWildcard, namespaceOfServiceHost, serviceFqdn } from '../mesh/hosts.js';
import type { ResolvedMesh } from '../mesh/resolve.js';
import type { EffectiveMode } from '../mesh/server-mode.js';
import type { ClientTlsMode, PeerAuthentication } from '../snapshot/types.js';

/** Stand-ins for "any service" and "a namespace the input does not name". */
const STAND_IN = 'any-service';
export const OTHER_NAMESPACE = 'any-other-namespace';

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
        if (!ruleApplies(mesh, rule, server)) continue;
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
  // wildcardsCovering for each host, from the longest suffix down: once a suffix was walked, every
  // shorter one was too (a mesh's hosts share namespace and cluster suffixes, so this stops early).
  const walked = new Set<string>();
  for (const target of mesh.targets) {
    if (target.backends.length === 0) continue;
    const host = target.host;
    patterns.add(host).add('*');
    for (let dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1)) {
      const pattern = `*${host.slice(dot)}`;
      if (walked.has(pattern)) break;
      walked.add(pattern);
      patterns.add(pattern);
    }
  }
  return patterns;
}

/**
 * Whether any client would use this rule for the host: its own namespace's clients (lookup step 1) or
 * clients elsewhere (steps 2 and 3). A rule shadowed by the service namespace's own rule applies nowhere.
 */
function ruleApplies(mesh: ResolvedMesh, rule: MergedDestinationRule, server: GoverningPolicy): boolean {
  const index = mesh.destinationRules;
  return [rule.namespace, ''].some(
    (client) => index.lookup(client, undefined, server.host, server.namespace)?.rule === rule,
  );
}

interface GoverningPolicy {
  /** A host in that namespace the rule covers (a stand-in name for wildcard rules). */
  readonly host: string;
  readonly namespace: string;
  readonly mode: EffectiveMode;
  readonly policy?: PeerAuthentication;
}

function serversCoveredBy(mesh: ResolvedMesh, host: string, knownNamespaces: Set<string>): GoverningPolicy[] {
  const index = mesh.peerAuthentications;
  const namespaceMode = (ns: string, name = STAND_IN): GoverningPolicy => {
    const mode = index.namespaceMode(ns);
    return {
      host: serviceFqdn(name, ns),
      namespace: ns,
      mode: mode?.mode ?? 'PERMISSIVE',
      policy: mode?.policy,
    };
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
    if (named?.mode && named.mode !== 'UNSET')
      return [{ host, namespace: ns, mode: named.mode, policy: named }];
    return [namespaceMode(ns, name)];
  }
  const ns = namespaceOfServiceHost(host.replace(/^\*\./, 'x.'));
  if (ns) return [namespaceMode(ns)];
  // Broad wildcards (`*`, `*.local`, `*.svc.cluster.local`) reach every namespace.
  const perNamespace = [...knownNamespaces].sort().map((ns) => namespaceMode(ns));
  // Namespaces the input does not name are governed by the mesh policy.
  if (index.meshPolicy) {
    perNamespace.push({
      host: serviceFqdn(STAND_IN, OTHER_NAMESPACE),
      namespace: OTHER_NAMESPACE,
      ...namespaceModeOfMesh(index.meshPolicy),
    });
  }
  return perNamespace;
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

/**
 * With auto mTLS off, the STRICT namespaces whose services a sidecar client would reach without an
 * ISTIO_MUTUAL rule (judged for a client in an unrelated namespace, as for policy-only input).
 */
export function strictNamespacesWithoutMutualRule(
  mesh: ResolvedMesh,
): { namespace: string; policy?: PeerAuthentication }[] {
  const index = mesh.peerAuthentications;
  const namespaces = new Set([
    ...mesh.snapshot.namespaces.map((n) => n.name),
    ...mesh.snapshot.peerAuthentications.map((p) => p.meta.namespace),
    ...mesh.snapshot.destinationRules.map((d) => d.meta.namespace),
  ]);
  namespaces.delete(mesh.rootNamespace);
  if (index.meshPolicy) namespaces.add(OTHER_NAMESPACE);
  const uncovered: { namespace: string; policy?: PeerAuthentication }[] = [];
  for (const ns of [...namespaces].sort()) {
    const mode = index.namespaceMode(ns);
    if (mode?.mode !== 'STRICT') continue;
    const match = mesh.destinationRules.lookup('', undefined, serviceFqdn(STAND_IN, ns), ns);
    const tls = match ? resolveTls(match.rule, 0).tls : undefined;
    if (tls?.mode !== 'ISTIO_MUTUAL') uncovered.push({ namespace: ns, policy: mode.policy });
  }
  return uncovered;
}
