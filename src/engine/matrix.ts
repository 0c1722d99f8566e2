// The connectivity matrix: for each client workload and each service port in scope, what happens.
// JSON shape is the public contract of design.md §2.

import type { ServerMode } from '../mesh/connectivity.js';
import type { ResolvedMesh } from '../mesh/resolve.js';
import type { ServiceTarget } from '../mesh/targets.js';
import type { ClientTlsMode, ProxyKind } from '../snapshot/types.js';

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
  const clients = mesh.snapshot.workloads;
  for (const target of targetsInScope(mesh, namespace)) {
    if (target.backends.length === 0 && !target.external) {
      skippedTargets.push(`${target.namespace}/${target.entry ? target.host : target.ref.name}`);
      continue;
    }
    const name = target.entry ? target.host : target.ref.name;
    for (const port of target.ports) {
      const to = `${target.namespace}/${name}:${port.port}`;
      for (const client of clients) {
        const outcome = mesh.outcome(client, target, port);
        yield {
          from: `${client.meta.namespace}/${client.meta.name}`,
          to,
          outcome: outcome.ok ? 'ok' : 'fail',
          client: { proxy: outcome.clientProxy, tls: outcome.tls },
          server: { proxy: outcome.serverProxy, mode: outcome.serverMode },
          reason: outcome.reason,
          symptom: outcome.symptom,
        };
      }
    }
  }
}

/** How many pairs buildMatrix would produce, without building them. */
export function countPairs(mesh: ResolvedMesh, namespace: string | undefined): number {
  let ports = 0;
  for (const target of targetsInScope(mesh, namespace)) {
    if (target.backends.length > 0 || target.external) ports += target.ports.length;
  }
  return ports * mesh.snapshot.workloads.length;
}
