// The callers a DENY rule names that already get through, because their calls reach the server in
// plaintext today: with their mTLS identity the policy would refuse them (denialOf), without it they
// are let in. Clients are judged per identity only towards servers whose policies name one other than
// "*" (resolve.ts clientClass), so a rule with "*" alone shows no one here.
import {
  authorizationEnforcer,
  type PairOutcome,
  type ServerSide,
  sidecarAcceptsHbone,
} from '../mesh/connectivity.js';
import { filterChain } from '../mesh/port-protocol.js';
import type { ResolvedMesh } from '../mesh/resolve.js';
import type { MeshConfig, Workload } from '../snapshot/types.js';
import { targetName, workloadName } from './connectivity-failures.js';
import type { Hole } from './deny-bypassed-by-plaintext.js';

/** "legacy/batch -> shop/cart:80 (no sidecar)", one per client group and port. */
export function bypassingToday(mesh: ResolvedMesh, holes: readonly Hole[]): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  // A policy's rules give one hole each on the same port: its callers are judged once.
  const judged = new Set<string>();
  for (const h of holes) {
    const { target, port, backend, server, policy } = h;
    const place = `${policy.meta.namespace}/${policy.meta.name} ${workloadName(backend.workload)}:${backend.targetPort} ${targetName(target, port)}`;
    if (judged.has(place)) continue;
    judged.add(place);
    const enforcer = authorizationEnforcer(server, true);
    if (!enforcer || backend.targetPort === undefined) continue;
    const call = { port: backend.targetPort, enforcer, chain: filterChain(port, false) };
    for (const group of mesh.clientGroups(target)) {
      const identity = group.profile.identity;
      if (group.hypothetical || !identity) continue;
      const outcome = mesh.outcomeForClass(group, target, port);
      const how = plaintextTo(outcome, server, backend.workload, mesh.snapshot.meshConfig);
      if (!outcome.ok || !how) continue;
      const denial = mesh.authorization.denialOf(backend.workload, call, identity);
      if (!denial?.policies.includes(policy)) continue;
      const line = `${group.sample(2).map(workloadName).join(', ')}${group.count > 2 ? ' and others' : ''} -> ${targetName(target, port)} (${how})`;
      if (seen.has(line)) continue;
      seen.add(line);
      found.push(line);
    }
  }
  return found;
}

/**
 * How the calls reach this backend without an identity, when they certainly do: a client without a
 * proxy, a TLS choice that is the same for every backend, auto mTLS towards a DISABLE port, ztunnel
 * towards a sidecar without HBONE. undefined for mTLS, HBONE, or a choice not known here.
 */
function plaintextTo(
  outcome: PairOutcome,
  server: ServerSide,
  workload: Workload,
  mesh: MeshConfig,
): string | undefined {
  if (outcome.clientProxy === 'none') return 'no sidecar';
  // A proxy reaches an ambient pod over HBONE, with its identity (ambient.ts), unless its call skips it.
  const skipsProxy = outcome.tlsSource === 'outbound-excluded' || outcome.tlsSource === 'passthrough';
  if (server.serverProxy === 'ambient' && !skipsProxy) return undefined;
  switch (outcome.tlsSource) {
    case 'ambient':
      return server.serverProxy === 'sidecar' && !sidecarAcceptsHbone(workload, mesh)
        ? 'ztunnel sends plaintext to a sidecar without HBONE'
        : undefined;
    case 'auto-mtls':
      // The endpoint's metadata is "istio" unless its own policy for the port is DISABLE (connectivity.ts).
      return server.policyMode === 'DISABLE' && !outcome.endpointTlsFromTopLevel
        ? 'auto mTLS sends plaintext to a DISABLE port'
        : undefined;
    case 'outbound-excluded':
      return 'its outbound port bypasses its sidecar';
    case 'namespace-disable':
      return "auto mTLS sends plaintext to a DISABLE namespace's services";
    case 'destination-rule':
      if (outcome.tls === 'DISABLE') return 'a DestinationRule sets DISABLE';
      return outcome.tls === 'ISTIO_MUTUAL'
        ? undefined
        : `a DestinationRule sets ${outcome.tls}: its own TLS, passed through`;
    default:
      return outcome.tls === 'DISABLE' ? `plaintext (${outcome.tlsSource})` : undefined;
  }
}
