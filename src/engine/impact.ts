// impact(before, after): what a change does to who-can-reach-whom. Pairs that go ok→fail (broken) and
// fail→ok (repaired), pairs the change creates that fail (a new client, or a new service port), findings
// opened and resolved, and the objects that differ. Only the pairs the changed objects can affect are
// compared (src/impact/pair-scope.ts), so a one-namespace change on a large mesh costs about one extra
// diagnosis, not a whole-mesh matrix.
import type { Finding } from '../analyzers/finding.js';
import { type ChangedObject, canonical, changedLabel, changedObjects } from '../impact/changed-objects.js';
import { withExistingAges } from '../impact/existing-ages.js';
import { movedClients } from '../impact/moved-clients.js';
import { type PairScope, pairScope, targetKey, WORKLOAD_KINDS } from '../impact/pair-scope.js';
import type { PairOutcome } from '../mesh/connectivity.js';
import { pushTo } from '../mesh/multi-map.js';
import type { ResolvedMesh } from '../mesh/resolve.js';
import type { ServiceTarget } from '../mesh/targets.js';
import { type MeshSnapshot, type Workload, workloadKey } from '../snapshot/types.js';
import { type Diagnosis, diagnose } from './diagnose.js';
import { judgedTargets, type MatrixPair, toName } from './matrix.js';

export type { ChangedObject } from '../impact/changed-objects.js';

/** One side of a pair (the matrix fields that can change). */
export type PairSide = Pick<MatrixPair, 'outcome' | 'client' | 'server' | 'reason' | 'symptom'>;

/** A matrix pair as it is after the change, with the changes that can explain it. */
export interface NewPair extends MatrixPair {
  /** Changed objects whose scope covers this pair, the most specific first. */
  readonly causes: readonly ChangedObject[];
  /** In newFailing: the client is one the change adds (not only the service port it calls). */
  readonly newClient?: boolean;
}

/** A pair on both sides of the change: as it is after, with how it was before. */
export interface ImpactPair extends NewPair {
  readonly before: PairSide;
  /** The client's name before the change, when the change moved it to another namespace. */
  readonly movedFrom?: string;
}

export interface ImpactOptions {
  /**
   * Refuse to compare more pairs than this one client at a time (a mesh-wide change that also changes
   * clients, on a large mesh): see `tooBroad`. Also the longest list of broken or repaired pairs.
   */
  readonly maxPairs?: number;
  /** Diagnoses already made (the Slack bot caches the current one); computed when absent. */
  readonly beforeDiagnosis?: Diagnosis;
  /** Of `after` with the base's ages (src/impact/existing-ages.ts), as impact would diagnose it. */
  readonly afterDiagnosis?: Diagnosis;
  readonly now?: Date;
}

export interface FindingChanges {
  readonly opened: Finding[];
  readonly resolved: Finding[];
  /** The same problem on both sides, said differently (more clients, other ports). */
  readonly reworded: { readonly before: Finding; readonly after: Finding }[];
}

export interface ImpactResult {
  readonly broken: ImpactPair[];
  readonly repaired: ImpactPair[];
  /**
   * Pairs only the after side has that fail: a client the change adds (it cannot call what it will
   * call), or a service port it adds that existing clients cannot reach. A break as much as `broken`.
   */
  readonly newFailing: NewPair[];
  readonly findings: FindingChanges;
  readonly changed: ChangedObject[];
  /** How many pairs were compared (the rest cannot have changed). */
  readonly pairsCompared: number;
  /** How many pairs broke, were repaired, fail new; more than listed when the lists stop at `maxPairs`. */
  readonly counts: { readonly broken: number; readonly repaired: number; readonly newFailing: number };
  /** Set when the change could affect more pairs than `maxPairs`: broken/repaired were not computed. */
  readonly tooBroad?: { readonly pairs: number; readonly limit: number; readonly message: string };
  readonly before: Diagnosis;
  readonly after: Diagnosis;
  readonly timings: { readonly diagnoseMs: number; readonly compareMs: number };
}

export const DEFAULT_MAX_PAIRS = 5_000_000;

export function impact(before: MeshSnapshot, after: MeshSnapshot, options: ImpactOptions = {}): ImpactResult {
  const started = performance.now();
  const changed = changedObjects(before, after);
  const found = performance.now();
  const afterDiagnosis =
    options.afterDiagnosis ?? diagnose(withExistingAges(before, after), { now: options.now });
  const beforeDiagnosis =
    options.beforeDiagnosis ??
    (changed.length === 0
      ? sameContentDiagnosis(before, afterDiagnosis)
      : diagnose(before, { now: options.now }));
  const diagnosed = performance.now();
  const scope = pairScope(beforeDiagnosis.mesh, afterDiagnosis.mesh, changed);
  const byClass = sameClientClasses(beforeDiagnosis.mesh, afterDiagnosis.mesh, changed);
  const limit = options.maxPairs ?? DEFAULT_MAX_PAIRS;
  const comparison = new PairComparison(beforeDiagnosis.mesh, afterDiagnosis.mesh, scope, byClass, limit);
  const pairs = comparison.count();
  let tooBroad: ImpactResult['tooBroad'];
  if (pairs > limit && !byClass) {
    const why = scope.everything.map(changedLabel);
    tooBroad = {
      pairs,
      limit,
      message: `too broad to enumerate: the change${why.length ? ` (${why.join(', ')})` : ''} can affect ${pairs.toLocaleString('en')} pairs (limit ${limit.toLocaleString('en')})`,
    };
  } else comparison.run();
  return {
    broken: comparison.broken,
    repaired: comparison.repaired,
    newFailing: comparison.newFailing,
    findings: diffFindings(beforeDiagnosis.findings, afterDiagnosis.findings),
    changed,
    pairsCompared: tooBroad ? 0 : pairs,
    counts: { ...comparison.counts },
    ...(tooBroad ? { tooBroad } : {}),
    before: beforeDiagnosis,
    after: afterDiagnosis,
    timings: {
      diagnoseMs: diagnosed - found,
      compareMs: found - started + (performance.now() - diagnosed),
    },
  };
}

/**
 * The diagnosis of a side whose objects equal the other's in all but where they were written (a pull
 * request that touches no mesh object): the other side's, with this side's own gaps. No comparison
 * reads locations, so diagnosing it again would only repeat the same work.
 */
function sameContentDiagnosis(snapshot: MeshSnapshot, other: Diagnosis): Diagnosis {
  const analyzerGaps = other.gaps.slice(other.mesh.snapshot.gaps.length);
  return { ...other, gaps: [...snapshot.gaps, ...analyzerGaps] };
}

/** What a finding is about: the same problem on both sides, whatever its wording. */
function findingSubject(f: Finding): string {
  const r = f.resource;
  return [f.code, f.severity, r.kind, r.namespace ?? '', r.name, f.path ?? ''].join('\u0000');
}

/**
 * Findings the change opens and resolves. One that stays but reads differently (more clients, other
 * ports) is reworded, neither opened nor resolved: "resolved" would say a problem went away that is
 * still there.
 */
export function diffFindings(before: readonly Finding[], after: readonly Finding[]): FindingChanges {
  const said = (f: Finding) => `${findingSubject(f)}\u0000${f.message}`;
  const unmatched = (list: readonly Finding[], other: readonly Finding[]) => {
    const left = new Map<string, number>();
    for (const f of other) left.set(said(f), (left.get(said(f)) ?? 0) + 1);
    return list.filter((f) => {
      const n = left.get(said(f)) ?? 0;
      if (n > 0) left.set(said(f), n - 1);
      return n === 0;
    });
  };
  const gone = unmatched(before, after);
  const come = unmatched(after, before);
  const bySubject = new Map<string, Finding[]>();
  for (const f of gone) pushTo(bySubject, findingSubject(f), f);
  const opened: Finding[] = [];
  const reworded: FindingChanges['reworded'] = [];
  for (const f of come) {
    const was = bySubject.get(findingSubject(f))?.shift();
    if (was) reworded.push({ before: was, after: f });
    else opened.push(f);
  }
  const matched = new Set(reworded.map((r) => r.before));
  return { opened, resolved: gone.filter((f) => !matched.has(f)), reworded };
}

/**
 * Whether every client falls into the same class on both sides (src/mesh/resolve.ts clientClass: the
 * client's own workload, the DestinationRules, the root namespace): then a class's outcome speaks for
 * all its members, and a mesh-wide policy change costs one evaluation per class, not per client.
 */
function sameClientClasses(
  before: ResolvedMesh,
  after: ResolvedMesh,
  changed: readonly ChangedObject[],
): boolean {
  if (changed.some((c) => CLASS_KINDS.has(c.kind) || WORKLOAD_KINDS.has(c.kind))) return false;
  // Towards a target whose AuthorizationPolicies tell identities apart, clients are split by identity.
  if (changed.some((c) => c.kind === 'AuthorizationPolicy' && splitsByIdentity(c, before, after)))
    return false;
  const a = before.snapshot.meshConfig;
  const b = after.snapshot.meshConfig;
  return (
    a.rootNamespace === b.rootNamespace &&
    a.trustDomain === b.trustDomain &&
    canonical(a.trustDomainAliases ?? null) === canonical(b.trustDomainAliases ?? null) &&
    canonical(a.defaultDestinationRuleExportTo ?? null) ===
      canonical(b.defaultDestinationRuleExportTo ?? null) &&
    canonical(a.defaultServiceExportTo ?? null) === canonical(b.defaultServiceExportTo ?? null)
  );
}

function splitsByIdentity(c: ChangedObject, ...meshes: ResolvedMesh[]): boolean {
  return meshes.some((m) => m.authorization.policyTellsIdentitiesApart(c.namespace, c.name));
}

// Kinds that decide which clients share a class: rules and routes seen per namespace, Sidecars (per
// namespace, or per workload with a selector), namespaces' injection, and services' exportTo (a
// service exported to some namespaces is judged per namespace).
const CLASS_KINDS = new Set([
  'DestinationRule',
  'Namespace',
  'Sidecar',
  'VirtualService',
  'Service',
  'ServiceEntry',
]);

/** Targets the matrix judges (those with something behind them), by identity. */
function judgedTargetsByKey(mesh: ResolvedMesh): Map<string, ServiceTarget> {
  return new Map(judgedTargets(mesh, undefined).map((t) => [targetKey(t), t]));
}

class PairComparison {
  readonly broken: ImpactPair[] = [];
  readonly repaired: ImpactPair[] = [];
  readonly newFailing: NewPair[] = [];
  readonly counts = { broken: 0, repaired: 0, newFailing: 0 };
  private readonly beforeTargets: Map<string, ServiceTarget>;
  private readonly afterTargets: Map<string, ServiceTarget>;
  private readonly beforeClients = new Map<string, Workload>();
  private readonly moved: Map<string, Workload>;
  private readonly afterClientsByNamespace = new Map<string, Workload[]>();
  // Looked up per target for each client a change names (a Sidecar names its whole namespace's).
  private readonly afterClientsByKey = new Map<string, Workload[]>();

  constructor(
    private readonly before: ResolvedMesh,
    private readonly after: ResolvedMesh,
    private readonly scope: PairScope,
    private readonly byClass: boolean,
    private readonly listLimit: number,
  ) {
    this.beforeTargets = judgedTargetsByKey(before);
    this.afterTargets = judgedTargetsByKey(after);
    for (const w of before.clients)
      if (!this.beforeClients.has(workloadKey(w))) this.beforeClients.set(workloadKey(w), w);
    for (const w of after.clients) {
      pushTo(this.afterClientsByNamespace, w.meta.namespace, w);
      pushTo(this.afterClientsByKey, workloadKey(w), w);
    }
    this.moved = movedClients(before.clients, after.clients);
  }

  /**
   * Every pair in scope on the after side, once, with its causes; `old` is the target before the change,
   * undefined when the change adds it (a pair only the before side has was removed: it breaks nothing).
   */
  private *pairsInScope(): Generator<{
    target: ServiceTarget;
    old: ServiceTarget | undefined;
    clients: Iterable<[Workload, readonly ChangedObject[]]>;
  }> {
    const everything = this.scope.everything.length > 0;
    const allClients = this.after.clients;
    const ownCauses = this.scope.clients;
    for (const [key, target] of this.afterTargets) {
      const old = this.beforeTargets.get(key);
      const rule = this.scope.targets.get(key);
      if (everything || rule?.all) {
        const causes = [...(rule?.all ?? []), ...this.scope.everything];
        yield {
          target,
          old,
          // An iterable, not a generator: it is walked once per port.
          clients: {
            [Symbol.iterator]: function* (this: void) {
              for (const w of allClients) {
                const own = ownCauses.get(workloadKey(w));
                yield [w, own ? [...own, ...causes] : causes] as [Workload, readonly ChangedObject[]];
              }
            },
          },
        };
        continue;
      }
      const chosen = new Map<Workload, ChangedObject[]>();
      for (const [ns, causes] of rule?.byNamespace ?? []) {
        for (const w of this.afterClientsByNamespace.get(ns) ?? []) chosen.set(w, [...causes]);
      }
      for (const [k, causes] of this.scope.clients)
        for (const w of this.afterClientsByKey.get(k) ?? [])
          chosen.set(w, [...causes, ...(chosen.get(w) ?? [])]);
      if (chosen.size > 0) yield { target, old, clients: chosen };
    }
  }

  count(): number {
    let n = 0;
    for (const { target, clients } of this.pairsInScope()) {
      const size = clients instanceof Map ? clients.size : this.after.clients.length;
      n += target.ports.length * size;
    }
    return n;
  }

  /** Counts `members` pairs in `list` and returns it, or undefined when it is full. */
  private record<K extends keyof PairComparison['counts']>(list: K, members = 1): this[K] | undefined {
    this.counts[list] += members;
    return this[list].length < this.listLimit ? this[list] : undefined;
  }

  run(): void {
    for (const { target, old, clients } of this.pairsInScope()) {
      for (const port of target.ports) {
        const oldPort = old?.ports.find((p) => p.port === port.port);
        const to = toName(target, port.port);
        if (this.byClass && !(clients instanceof Map)) {
          // Classes are compared only when no Service or workload changed: every port is on both sides.
          if (old && oldPort) this.compareClasses(target, old, port, oldPort, to);
          continue;
        }
        for (const [client, causes] of clients) {
          const b = this.after.outcome(client, target, port);
          // The client as it was: itself, or where the change moved it from.
          const key = workloadKey(client);
          const movedFrom = this.moved.get(key);
          const was = this.beforeClients.get(key) ?? movedFrom;
          if (!old || !oldPort || !was) {
            if (!b.ok)
              this.record('newFailing')?.push({
                from: this.after.clientName(client),
                to,
                ...side(b),
                causes,
                newClient: !was,
              });
            continue;
          }
          const a = this.before.outcome(was, old, oldPort);
          if (a.ok === b.ok) continue;
          const pair: ImpactPair = {
            from: this.after.clientName(client),
            to,
            ...side(b),
            before: side(a),
            ...(movedFrom ? { movedFrom: this.before.clientName(movedFrom) } : {}),
            causes,
          };
          this.record(b.ok ? 'repaired' : 'broken')?.push(pair);
        }
      }
    }
    const order = (x: NewPair, y: NewPair) => x.to.localeCompare(y.to) || x.from.localeCompare(y.from);
    this.broken.sort(order);
    this.repaired.sort(order);
    this.newFailing.sort(order);
  }

  /** Every client of the target, one class at a time; members listed only for classes that changed. */
  private compareClasses(
    target: ServiceTarget,
    old: ServiceTarget,
    port: ServiceTarget['ports'][number],
    oldPort: ServiceTarget['ports'][number],
    to: string,
  ): void {
    const rule = this.scope.targets.get(targetKey(target));
    const causes = [...(rule?.all ?? []), ...this.scope.everything];
    for (const group of this.after.clientGroups(target)) {
      if (group.hypothetical) continue;
      const a = this.before.outcomeForClass(group, old, oldPort);
      const b = this.after.outcomeForClass(group, target, port);
      if (a.ok === b.ok) continue;
      const list = this.record(b.ok ? 'repaired' : 'broken', group.count);
      if (!list) continue;
      for (const client of group.sample(this.listLimit - list.length))
        list.push({
          from: this.after.clientName(client),
          to,
          ...side(b),
          before: side(a),
          causes,
        });
    }
  }
}

function side(o: PairOutcome): PairSide {
  return {
    outcome: o.ok ? 'ok' : 'fail',
    client: { proxy: o.clientProxy, tls: o.tls },
    server: { proxy: o.serverProxy, mode: o.serverMode },
    reason: o.reason,
    symptom: o.symptom,
  };
}
