// Every failing (client group, service port) in the mesh, computed once and shared by the analyzers
// that explain one cause each (strict-plaintext-clients, destinationrule-tls-conflict, ...).
import type { BackendOutcome, PairOutcome } from '../mesh/connectivity.js';
import { pushTo } from '../mesh/multi-map.js';
import type { ClientGroup, ResolvedMesh } from '../mesh/resolve.js';
import type { ServiceTarget, TargetPort } from '../mesh/targets.js';
import type { Workload } from '../snapshot/types.js';
import type { FindingCode } from './catalogue.js';

export interface Failure {
  readonly target: ServiceTarget;
  readonly port: TargetPort;
  readonly group: ClientGroup;
  readonly outcome: PairOutcome;
  /** The failing backends whose reason is this failure's reason. */
  readonly backends: readonly BackendOutcome[];
  readonly reason: FindingCode;
}

const cache = new WeakMap<ResolvedMesh, Failure[]>();
const byReasonCache = new WeakMap<ResolvedMesh, Map<FindingCode, Failure[]>>();

export function connectivityFailures(mesh: ResolvedMesh): Failure[] {
  const cached = cache.get(mesh);
  if (cached) return cached;
  const failures: Failure[] = [];
  for (const target of mesh.targets) {
    if (target.backends.length === 0 && !target.external) continue;
    const groups = mesh.clientGroups(target);
    for (const port of target.ports) {
      for (const group of groups) {
        const outcome = mesh.outcomeForClass(group, target, port);
        if (outcome.ok) continue;
        // Most failing pairs fail for one reason: no grouping needed (thousands of them on a large mesh).
        const only = outcome.failing[0]?.reason as FindingCode;
        if (outcome.failing.every((b) => b.reason === only)) {
          failures.push({ target, port, group, outcome, backends: outcome.failing, reason: only });
          continue;
        }
        const byReason = new Map<FindingCode, BackendOutcome[]>();
        for (const b of outcome.failing) pushTo(byReason, b.reason as FindingCode, b);
        for (const [reason, backends] of byReason)
          failures.push({ target, port, group, outcome, backends, reason });
      }
    }
  }
  cache.set(mesh, failures);
  return failures;
}

/** The failures for one reason, in walk order (split once per mesh: a dozen analyzers each ask). */
export function failuresWithReason(mesh: ResolvedMesh, reason: FindingCode): Failure[] {
  let byReason = byReasonCache.get(mesh);
  if (!byReason) {
    byReason = groupBy(connectivityFailures(mesh), (f) => f.reason) as Map<FindingCode, Failure[]>;
    byReasonCache.set(mesh, byReason);
  }
  // A copy: callers may sort or filter what they get.
  return [...(byReason.get(reason) ?? [])];
}

/** Groups failures by a key (a target, a rule, a workload) keeping insertion order. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) pushTo(map, key(item), item);
  return map;
}

/** "legacy/batch, legacy/cron and 3 more" — names a few clients and counts the rest. */
export function describeClients(failures: readonly Failure[], limit = 4): string {
  const names: string[] = [];
  let hypothetical = '';
  for (const f of failures) {
    if (f.group.hypothetical) {
      hypothetical = f.group.profile.proxy === 'none' ? 'any client without a sidecar' : 'any sidecar client';
      continue;
    }
    // A workload calling its own service is not worth naming; it is counted with the rest.
    if (names.length >= limit) continue;
    for (const w of f.group.sample(limit, (x) => f.target.backends.includes(x))) {
      const name = workloadName(w);
      if (names.length < limit && !names.includes(name)) names.push(name);
    }
  }
  const total = distinctClients(failures);
  // Only the service's own workloads fail to call it: name them rather than nobody.
  if (names.length === 0 && total > 0) {
    for (const f of failures)
      for (const w of f.group.hypothetical ? [] : f.group.sample(limit)) {
        const name = workloadName(w);
        if (names.length < limit && !names.includes(name)) names.push(name);
      }
  }
  if (total === 0) return `${hypothetical} (the input has no workloads; judged from the policies alone)`;
  const rest = total - names.length;
  return rest > 0 ? `${names.join(', ')} and ${rest} more` : names.join(', ');
}

/**
 * How many client workloads the failures concern, each once: one group fails on several ports and
 * targets. Groups of one key have the same members (the clients without a proxy, the ambient ones,
 * one workload); sidecar groups by namespace are cut differently per target, so when more than one
 * of them is involved their members are counted one by one.
 */
function distinctClients(failures: readonly Failure[]): number {
  const fixed = new Map<string, number>();
  const byNamespace = new Set<ClientGroup>();
  for (const f of failures) {
    const g = f.group;
    if (g.hypothetical) continue;
    if (g.profile.proxy === 'sidecar' && (g.key === 'sidecar' || g.key.startsWith('sidecar:')))
      byNamespace.add(g);
    else fixed.set(g.key, g.count);
  }
  let total = 0;
  for (const count of fixed.values()) total += count;
  if (byNamespace.size === 1) for (const g of byNamespace) total += g.count;
  else if (byNamespace.size > 1) {
    // These groups hold whole namespaces' sidecar clients: counted by namespace, not member by member
    // (a shared group holds thousands, asked for every finding).
    const perNamespace = new Map<string, number>();
    for (const g of byNamespace) for (const [ns, n] of g.namespaceCounts()) perNamespace.set(ns, n);
    for (const n of perNamespace.values()) total += n;
  }
  return total;
}

export function workloadName(w: Workload): string {
  return `${w.meta.namespace}/${w.meta.name}`;
}

export function targetName(target: ServiceTarget, port?: TargetPort): string {
  const base = target.entry ? target.host : `${target.namespace}/${target.ref.name}`;
  return port ? `${base}:${port.port}` : base;
}

/**
 * Namespaces a set of failures concerns: the servers' and the clients'. The shared sidecar group stands
 * for sidecar clients almost everywhere, so it adds every namespace with sidecar clients once.
 */
export function affectedNamespaces(
  mesh: ResolvedMesh,
  failures: readonly Failure[],
  options: { includeTargets?: boolean } = {},
): string[] {
  const namespaces = new Set<string>();
  let shared = false;
  for (const f of failures) {
    if (options.includeTargets !== false) namespaces.add(f.target.namespace);
    if (f.group.key === 'sidecar') shared = true;
    else for (const ns of f.group.namespaces()) namespaces.add(ns);
  }
  if (shared) for (const ns of mesh.sidecarClientNamespaces()) namespaces.add(ns);
  return [...namespaces];
}
