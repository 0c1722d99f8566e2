// The connectivity matrix: for each client workload and each service port in scope, what happens.
// JSON shape is the public contract of design.md §2.

import type { ServerMode } from '../mesh/connectivity.js';
import type { ResolvedMesh } from '../mesh/resolve.js';
import type { ServiceTarget } from '../mesh/targets.js';
import type { ClientTlsMode, ProxyKind, Workload } from '../snapshot/types.js';

export interface MatrixPair {
  readonly from: string;
  readonly to: string;
  readonly outcome: 'ok' | 'fail';
  readonly client: { readonly proxy: ProxyKind; readonly tls: ClientTlsMode };
  readonly server: { readonly proxy: ProxyKind; readonly mode: ServerMode };
  readonly reason: string;
  readonly symptom: string;
}

export interface MatrixResult {
  readonly pairs: MatrixPair[];
  /** Service ports left out because nothing in the input backs them (no endpoints to judge). */
  readonly skippedTargets: string[];
}

export function targetsInScope(mesh: ResolvedMesh, namespace: string | undefined): ServiceTarget[] {
  return mesh.targets.filter((t) => namespace === undefined || t.namespace === namespace);
}

export function buildMatrix(mesh: ResolvedMesh, namespace: string | undefined): MatrixResult {
  const skippedTargets: string[] = [];
  const pairs = [...matrixPairs(mesh, namespace, skippedTargets)];
  return { pairs, skippedTargets };
}

/**
 * The pairs one at a time, so a large matrix can be written out without holding it all (millions of
 * pairs for a whole mesh). Service ports with nothing behind them are added to `skippedTargets`.
 */
export function* matrixPairs(
  mesh: ResolvedMesh,
  namespace: string | undefined,
  skippedTargets: string[] = [],
): Generator<MatrixPair> {
  // Its own loop, not judgedPairs: millions of pairs are streamed, each without a wrapper object.
  for (const target of judgedTargets(mesh, namespace, skippedTargets)) {
    for (const port of target.ports) {
      const to = toName(target, port.port);
      for (const client of mesh.clients) yield pairOf(mesh, client, to, mesh.outcome(client, target, port));
    }
  }
}

/** A pair with the client workload and the service it was judged for (identities, not names). */
export interface JudgedPair {
  readonly client: Workload;
  readonly target: ServiceTarget;
  readonly pair: MatrixPair;
}

/** matrixPairs, each with its client and target: for comparisons that must not go by names. */
export function* judgedPairs(mesh: ResolvedMesh, namespace: string | undefined): Generator<JudgedPair> {
  for (const target of judgedTargets(mesh, namespace, [])) {
    for (const port of target.ports) {
      const to = toName(target, port.port);
      for (const client of mesh.clients)
        yield { client, target, pair: pairOf(mesh, client, to, mesh.outcome(client, target, port)) };
    }
  }
}

/** The targets in scope with something behind them; the others are added to `skippedTargets`. */
export function judgedTargets(
  mesh: ResolvedMesh,
  namespace: string | undefined,
  skippedTargets: string[] = [],
): ServiceTarget[] {
  return targetsInScope(mesh, namespace).filter((target) => {
    if (target.backends.length > 0 || target.external) return true;
    skippedTargets.push(serviceName(target));
    return false;
  });
}

/** `ns/name` of a Service, `ns/host` of a ServiceEntry: the `to` of a pair, without its port. */
const serviceName = (target: ServiceTarget) =>
  `${target.namespace}/${target.entry ? target.host : target.ref.name}`;

/** The `to` of a pair: `ns/name:port`. */
export const toName = (target: ServiceTarget, port: number) => `${serviceName(target)}:${port}`;

function pairOf(
  mesh: ResolvedMesh,
  client: Workload,
  to: string,
  outcome: ReturnType<ResolvedMesh['outcome']>,
): MatrixPair {
  return {
    from: mesh.clientName(client),
    to,
    outcome: outcome.ok ? 'ok' : 'fail',
    client: { proxy: outcome.clientProxy, tls: outcome.tls },
    server: { proxy: outcome.serverProxy, mode: outcome.serverMode },
    reason: outcome.reason,
    symptom: outcome.symptom,
  };
}

const positions = new WeakMap<ResolvedMesh, Map<Workload, number>>();

/** Where each client stands in the snapshot: matrixPairs' order within a service port. */
function positionOf(mesh: ResolvedMesh): Map<Workload, number> {
  let map = positions.get(mesh);
  if (!map) {
    map = new Map(mesh.snapshot.workloads.map((w, i) => [w, i]));
    positions.set(mesh, map);
  }
  return map;
}

/**
 * The failing pairs of matrixPairs, in its order, without visiting every client: each group of
 * clients that behave alike towards a target is judged once, and only failing groups are expanded.
 * A check in Slack lists these for its namespace; the whole matrix of a namespace is far larger.
 */
export function failingPairs(mesh: ResolvedMesh, namespace: string | undefined): MatrixPair[] {
  const out: MatrixPair[] = [];
  const position = positionOf(mesh);
  for (const target of judgedTargets(mesh, namespace)) {
    const groups = mesh.clientGroups(target).filter((g) => !g.hypothetical && g.count > 0);
    for (const port of target.ports) {
      const to = toName(target, port.port);
      const failing: { client: Workload; outcome: ReturnType<ResolvedMesh['outcome']> }[] = [];
      for (const group of groups) {
        const outcome = mesh.outcomeForClass(group, target, port);
        if (outcome.ok) continue;
        for (const client of group.sample(group.count)) failing.push({ client, outcome });
      }
      failing.sort((a, b) => (position.get(a.client) ?? 0) - (position.get(b.client) ?? 0));
      for (const { client, outcome } of failing) out.push(pairOf(mesh, client, to, outcome));
    }
  }
  return out;
}

/** How many pairs buildMatrix would produce, without building them. */
export function countPairs(mesh: ResolvedMesh, namespace: string | undefined): number {
  let ports = 0;
  for (const target of judgedTargets(mesh, namespace)) ports += target.ports.length;
  return ports * mesh.clients.length;
}
