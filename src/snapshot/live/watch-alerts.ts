// Breaking changes, as the live model sees them: after a burst of changes to what steers mTLS (a
// PeerAuthentication, DestinationRule, ServiceEntry, Service, Sidecar, VirtualService, a namespace's
// or pod's injection label, the mesh config, a pod that disagrees about the sidecar with its
// workload), the client→service matrix before and after the burst is compared, limited to the
// namespaces the changed objects can affect; pairs that were ok and now fail make one alert, which
// blames the changes whose scope covers one of those pairs, not the whole burst.
import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { type JudgedPair, judgedPairs } from '../../engine/matrix.js';
import { pushTo } from '../../mesh/multi-map.js';
import { ResolvedMesh } from '../../mesh/resolve.js';
import { selectorMatches } from '../../mesh/selectors.js';
import type { ServiceTarget } from '../../mesh/targets.js';
import { type BlockedWebhook, webhookEndpoints } from '../../mesh/webhooks.js';
import { DISABLED_TLS_MODE, ISTIO_TLS_MODE, TLS_MODE_LABEL } from '../endpoint-tls-mode.js';
import { rawPod } from '../pod-owner.js';
import type { RawObject } from '../read-manifests.js';
import { type ProxyKind, type ServiceEntry, type Workload, workloadKey } from '../types.js';
import { type ClusterModel, type ModelStatus, type ObjectChange, objectKey } from './model.js';
import { botMayRevert, REVERT_GRANTS } from './revert-rbac.js';

export interface ChangedObject {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly type: ObjectChange['type'];
  /** Unified diff of the part that steers mTLS (spec, labels or data). */
  readonly diff: string;
  /** Who changed it, as far as the object says (its newest managedFields entry). */
  readonly manager?: string;
  readonly changedAt?: string;
  /** The version the change left: of the object after it, or of its deletion. */
  readonly resourceVersion?: string;
  /**
   * What undoes the change, as a plan body: a merge patch back to the old values, the deleted object,
   * or the delete of an added Istio policy (only while it is at `resourceVersion`).
   */
  readonly revert?: {
    readonly apiVersion: string;
    readonly action: 'merge-patch' | 'create' | 'delete';
    readonly body?: Record<string, unknown>;
    /** The remediate role cannot write it (revert-rbac.ts): shown as a kubectl command, no button. */
    readonly byHand?: true;
  };
}

export interface BrokenPair {
  readonly from: string;
  readonly to: string;
  readonly symptom: string;
  readonly reason: string;
  /** The caller is outside the mesh (the API server calling an admission webhook): `from` names no namespace. */
  readonly fromOutsideMesh?: boolean;
}

export interface BreakingChange {
  /** Names this alert in a later repair. */
  readonly id: number;
  readonly changes: readonly ChangedObject[];
  /** Pairs that were ok before the burst and fail after it. */
  readonly broken: number;
  readonly sample: readonly BrokenPair[];
  /** Namespaces of the broken pairs' services and clients (for the channels' access rules). */
  readonly namespaces: readonly string[];
  /**
   * Why the blame is by scope alone for some pair, when it is: too many suspects to put back one by
   * one, or a pair that no single put-back repairs (changes that break it only together).
   */
  readonly unnarrowed?: 'too-many' | 'together';
}

export interface ChangeAlertOptions {
  /** Quiet time that ends a burst of changes (one alert per burst). */
  readonly debounceMs: number;
  readonly onAlert: (alert: BreakingChange) => void;
  readonly onError?: (error: Error) => void;
  /** A burst made every pair of earlier alerts work again. */
  readonly onRepaired?: (repair: Repair) => void;
  /** After each burst was compared: its alert, or undefined when it broke nothing. */
  readonly onEvaluated?: (alert: BreakingChange | undefined) => void;
  /** A burst is held for a watch that is down (once per outage), and the alerts resume (once). */
  readonly onHeld?: (held: AlertsHeld) => void;
  /** How long a burst is held before the pause is said (30 s): a routine 410 re-list passes unsaid. */
  readonly pauseNoticeMs?: number;
  readonly sampleSize?: number;
}

/** Change alerts paused while a watched kind is down, or resumed once the model is whole again. */
export interface AlertsHeld {
  readonly state: 'paused' | 'resumed';
  /** The kinds that held the burst: since when their view is (ISO; none before their first sync), and why. */
  readonly kinds: readonly { readonly name: string; readonly since?: string; readonly reason?: string }[];
  /** Changed objects waiting to be compared (paused), or compared now (resumed). */
  readonly waiting: number;
}

export interface Repair {
  /** The alerts whose broken pairs all work again. */
  readonly alerts: readonly number[];
  readonly changes: readonly ChangedObject[];
}

// Open alerts remembered for their repair; the oldest are forgotten first.
const OPEN_ALERTS = 100;

/** Which pairs a change can affect: services in `targets` (all if undefined) × clients in `clients`. */
interface Scope {
  readonly targets?: ReadonlySet<string>;
  readonly clients?: ReadonlySet<string>;
}

// A burst that never goes quiet (a long rollout) is compared after this many quiet periods at most.
const MAX_BURST_DEBOUNCES = 6;
// Changes held while a watch is down are folded, one per object, past this many.
const HELD_CHANGES = 1_000;
const PAUSE_NOTICE_MS = 30_000;

/**
 * A change of the burst and the pairs it can affect: a pod's, worked out as it comes (from the
 * baseline and the workloads' memory); any other's (`fromViews`) when the burst is compared, from the
 * views before and after it, so that no event rebuilds the snapshot it has just made stale.
 */
type PendingChange = { readonly change: ObjectChange; readonly scopes: Scope[]; readonly fromViews: boolean };

/** What scoping a change reads of the mesh: both views', so a policy or a host that moved is in scope either way. */
interface ScopeViews {
  readonly rootNamespaces: ReadonlySet<string>;
  readonly serviceEntries: readonly ServiceEntry[];
}

export class ChangeAlerts {
  private baseline?: ResolvedMesh;
  private pending: PendingChange[] = [];
  private burstStarted?: number;
  /** The pending burst met a view with a watch down: it waits, with its baseline, for a whole one. */
  private held = false;
  /** The outage that holds the burst was said (onHeld 'paused'); its end is said once too. */
  private pause?: AlertsHeld;
  private pauseTimer?: NodeJS.Timeout;
  private foldAt = HELD_CHANGES;
  private readonly sidecars = new SidecarMemory();
  private timer?: NodeJS.Timeout;
  private nextId = 1;
  /** Alert id → the pairs it reported that still fail. */
  private readonly open = new Map<number, Set<string>>();

  constructor(
    private readonly model: ClusterModel,
    private readonly options: ChangeAlertOptions,
  ) {
    model.onObjectChange((change) => this.observe(change));
    model.onStatus((status) => this.statusChanged(status));
  }

  /** Takes the baseline once the model has synced: changes before it are the starting state. */
  async start(syncTimeoutMs = 60_000): Promise<void> {
    while (!(await this.model.whenSynced(syncTimeoutMs))) {
      // Keep waiting: the alerts start with the first complete view.
    }
    this.baseline = new ResolvedMesh(this.model.snapshot());
    this.sidecars.learn(this.baseline);
  }

  stop(): void {
    clearTimeout(this.timer);
    clearTimeout(this.pauseTimer);
  }

  private observe(change: ObjectChange): void {
    if (!this.baseline) return;
    const raw = change.after ?? change.before;
    if (raw?.object.kind === 'Pod' && change.type !== 'MODIFIED') {
      const scopes = podScopes(raw, this.baseline, this.sidecars);
      if (scopes.length === 0) return;
      this.pending.push({ change, scopes, fromViews: false });
    } else {
      if (!steersMtls(change)) return;
      this.pending.push({ change, scopes: [], fromViews: true });
    }
    if (this.held && this.pending.length > this.foldAt) {
      this.pending = foldByObject(this.pending);
      this.foldAt = Math.max(HELD_CHANGES, this.pending.length * 2);
    }
    this.schedule();
  }

  /** A held burst is compared once the model is whole again (a debounce after the watch is back). */
  private statusChanged(status: ModelStatus): void {
    if (!this.held) return;
    if (kindsDown(status).length > 0) return;
    this.schedule();
  }

  private schedule(): void {
    const now = Date.now();
    this.burstStarted ??= now;
    const latest = this.burstStarted + this.options.debounceMs * MAX_BURST_DEBOUNCES;
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => this.evaluate(),
      Math.max(0, Math.min(this.options.debounceMs, latest - now)),
    );
  }

  /**
   * A burst still held after `pauseNoticeMs` is said, once per outage, or nobody learns that alerts
   * stopped (a watch refused for good would hold them forever, silently).
   */
  private paused(): void {
    if (this.pause || this.pauseTimer) return;
    this.pauseTimer = setTimeout(() => {
      this.pauseTimer = undefined;
      const down = kindsDown(this.model.status());
      if (this.held && down.length > 0) this.saidPaused(down);
    }, this.options.pauseNoticeMs ?? PAUSE_NOTICE_MS);
  }

  private saidPaused(down: ModelStatus['kinds']): void {
    this.pause = {
      state: 'paused',
      kinds: down.map((k) => ({
        name: k.name,
        ...(k.currentAt !== undefined ? { since: new Date(k.currentAt).toISOString() } : {}),
        ...(k.gap ? { reason: k.gap.reason } : {}),
      })),
      waiting: objectCount(this.pending),
    };
    this.options.onHeld?.(this.pause);
  }

  /**
   * Of several suspects (changes whose scope covers a broken pair), those that broke a pair, decided
   * pair by pair: each object put back as it was before the burst, the rest of the view as it is, and
   * the broken pairs judged again. A pair is blamed on every suspect whose put-back alone repairs it
   * (two policies that each make it STRICT are both blamed), or, when none does (changes that break
   * it only together), on every suspect whose scope covers it. A harmless policy beside the breaking
   * one is not blamed. Past a few suspects the scopes decide alone, so that a chart upgrade costs no
   * dozens of rebuilt views.
   */
  private needed(
    suspects: readonly ObjectChange[],
    brokenAt: ReadonlyMap<string, PairPlace>,
    scoped: readonly { change: ObjectChange; scopes: readonly Scope[] }[],
    scopes: readonly Scope[],
  ): { changes: readonly ObjectChange[]; unnarrowed?: BreakingChange['unnarrowed'] } {
    const keyOf = (c: ObjectChange) => objectKey((c.after ?? c.before) as RawObject);
    const before = new Map<string, RawObject | undefined>();
    for (const c of suspects) {
      const key = keyOf(c);
      if (!before.has(key)) before.set(key, c.before);
    }
    if (before.size < 2) return { changes: suspects };
    if (before.size > COUNTERFACTUALS) return { changes: suspects, unnarrowed: 'too-many' };
    const brokenKeys = new Set(brokenAt.keys());
    const repairs = new Map<string, ReadonlySet<string>>();
    for (const [key, raw] of before) {
      const mesh = new ResolvedMesh(this.model.snapshotWith(new Map([[key, raw]])));
      repairs.set(key, working(mesh, scopes, brokenKeys));
    }
    const suspected = new Set(before.keys());
    const needed = new Set<string>();
    let unnarrowed: BreakingChange['unnarrowed'];
    for (const [pair, place] of brokenAt) {
      const by = [...repairs].filter(([, fixed]) => fixed.has(pair)).map(([key]) => key);
      if (by.length === 0) {
        unnarrowed = 'together';
        by.push(
          ...blamed(scoped, [place])
            .map(keyOf)
            .filter((key) => suspected.has(key)),
        );
      }
      for (const key of by) needed.add(key);
    }
    if (needed.size === 0) return { changes: suspects, unnarrowed: 'together' };
    return {
      changes: suspects.filter((c) => needed.has(keyOf(c))),
      ...(unnarrowed ? { unnarrowed } : {}),
    };
  }

  /** Takes the repaired pairs off the open alerts; returns the alerts left with none failing. */
  private repairs(repaired: ReadonlySet<string>): number[] {
    const done: number[] = [];
    if (repaired.size === 0) return done;
    for (const [id, failing] of this.open) {
      for (const key of repaired) failing.delete(key);
      if (failing.size === 0) {
        done.push(id);
        this.open.delete(id);
      }
    }
    return done;
  }

  private evaluate(): void {
    this.burstStarted = undefined;
    const before = this.baseline;
    if (!before || this.pending.length === 0) return;
    try {
      // A view with a watch down is not compared: its "after" may be stale. Nor is the burst dropped:
      // it stays pending, against the baseline it started from, until the model is whole again. Only
      // the watches count: an object left out as unreadable is no stale view (one tenant's odd rule
      // must not silence the cluster), nor is an optional kind without its RBAC.
      this.held = kindsDown(this.model.status()).length > 0;
      if (this.held) return void this.paused();
      clearTimeout(this.pauseTimer);
      this.pauseTimer = undefined;
      if (this.pause) {
        const { kinds } = this.pause;
        this.pause = undefined;
        this.options.onHeld?.({ state: 'resumed', kinds, waiting: objectCount(this.pending) });
      }
      const snapshot = this.model.snapshot();
      const burst = this.pending;
      this.pending = [];
      this.foldAt = HELD_CHANGES;
      const after = new ResolvedMesh(snapshot);
      const returning = this.sidecars.returning(before, after);
      this.baseline = after;
      this.sidecars.learn(after);
      const views: ScopeViews = {
        rootNamespaces: new Set([before, after].map((m) => m.snapshot.meshConfig.rootNamespace)),
        serviceEntries: [...before.snapshot.serviceEntries, ...after.snapshot.serviceEntries],
      };
      const scoped = burst.map((b) => ({
        change: b.change,
        scopes: b.fromViews ? [...b.scopes, ...scopesOf(b.change, views)] : b.scopes,
      }));
      const scopes = scoped.flatMap((b) => b.scopes);
      const was = new Map<string, 'ok' | 'fail'>();
      for (const judged of pairsIn(before, scopes)) was.set(pairKey(judged), judged.pair.outcome);
      // A workload back after a time without pods had no pairs in "before", as a client or behind
      // its services: those are judged with it as it last was.
      if (returning.size > 0) {
        const { past, back } = asTheyWere(after, returning);
        // Behind a service, only for clients that were there: a new client's calls are new, not broken.
        const earlier = new Set(before.snapshot.workloads.map(workloadKey));
        const backBehind = new Map<ServiceTarget, boolean>();
        for (const judged of pairsIn(past, scopes)) {
          const { client, target } = judged;
          let behind = backBehind.get(target);
          if (behind === undefined) {
            behind = target.backends.some((b) => back.has(b));
            backBehind.set(target, behind);
          }
          const involved = back.has(client) || (behind && earlier.has(workloadKey(client)));
          const key = pairKey(judged);
          if (involved && !was.has(key)) was.set(key, judged.pair.outcome);
        }
      }
      const broken: BrokenPair[] = [];
      const repaired = new Set<string>();
      const brokenKeys = new Set<string>();
      // Where the broken and the repaired pairs are: only the changes whose scope covers one are
      // blamed (or thanked), not every change of the burst.
      const brokenAt = new Map<string, PairPlace>();
      const repairedAt: PairPlace[] = [];
      const seen = new Set<string>();
      for (const judged of pairsIn(after, scopes)) {
        const { pair } = judged;
        const key = pairKey(judged);
        if (seen.has(key)) continue;
        seen.add(key);
        const place = { target: judged.target.namespace, client: judged.client.meta.namespace };
        if (pair.outcome === 'ok' && was.get(key) === 'fail') {
          repaired.add(key);
          repairedAt.push(place);
        }
        if (pair.outcome === 'fail' && was.get(key) === 'ok') {
          broken.push({ from: pair.from, to: pair.to, symptom: pair.symptom, reason: pair.reason });
          brokenKeys.add(key);
          brokenAt.set(key, place);
        }
      }
      // The API server's calls to admission webhooks are no pair of the matrix: compared on their own
      // (a handful per cluster), so a policy that makes a webhook port STRICT is an alert too. As for
      // pairs, only what was there on both sides counts (a webhook whose pods are away and back is
      // neither repaired nor broken), except a webhook configuration this burst added or changed,
      // whose calls are new and fail.
      const wasBlocked = new Map(webhookEndpoints(before).map((e) => [webhookKey(e), e.mode === 'STRICT']));
      const configured = new Set(
        burst.flatMap(({ change }) => {
          const raw = change.after;
          const kind = String(raw?.object.kind ?? '');
          return raw && kind.endsWith('WebhookConfiguration') ? [`${kind}/${metaOf(raw).name}`] : [];
        }),
      );
      for (const e of webhookEndpoints(after)) {
        const key = webhookKey(e);
        const was = wasBlocked.get(key);
        const configuration = `${e.webhook.configuration.kind}/${e.webhook.configuration.name}`;
        const place = { target: e.webhook.service.namespace, configuration };
        if (e.mode !== 'STRICT') {
          if (was === true) {
            repaired.add(key);
            repairedAt.push(place);
          }
          continue;
        }
        const configuredNow = configured.has(configuration);
        if (was === true || (was === undefined && !configuredNow) || brokenKeys.has(key)) continue;
        brokenKeys.add(key);
        brokenAt.set(key, place);
        broken.push({
          from: 'the API server',
          to: `${e.webhook.service.namespace}/${e.webhook.service.name}:${e.webhook.service.port}`,
          symptom: `admission webhook ${e.webhook.name} reset (${e.webhook.failurePolicy === 'Fail' ? 'every API request it matches is refused' : 'skipped: requests go through unchecked'})`,
          reason: 'admission-webhook-strict',
          fromOutsideMesh: true,
        });
      }
      const changes = (places: readonly PairPlace[]) => mergeChanges(blamed(scoped, places));
      const done = this.repairs(repaired);
      if (done.length > 0) this.options.onRepaired?.({ alerts: done, changes: changes(repairedAt) });
      if (broken.length === 0) return void this.options.onEvaluated?.(undefined);
      const namespaces = new Set<string>();
      for (const p of broken) {
        if (!p.fromOutsideMesh) namespaces.add(p.from.split('/')[0] as string);
        namespaces.add(p.to.split('/')[0] as string);
      }
      const blame = this.needed(blamed(scoped, [...brokenAt.values()]), brokenAt, scoped, scopes);
      const alert: BreakingChange = {
        id: this.nextId++,
        changes: mergeChanges(blame.changes),
        ...(blame.unnarrowed ? { unnarrowed: blame.unnarrowed } : {}),
        broken: broken.length,
        sample: broken.slice(0, this.options.sampleSize ?? 5),
        namespaces: [...namespaces].sort(),
      };
      this.open.set(alert.id, brokenKeys);
      if (this.open.size > OPEN_ALERTS) this.open.delete(this.open.keys().next().value as number);
      this.options.onAlert(alert);
      this.options.onEvaluated?.(alert);
    } catch (error) {
      this.options.onError?.(error as Error);
    }
  }
}

/** The watched kinds whose view is not current: not synced yet, or down (their gap says why). */
export function kindsDown(status: ModelStatus): ModelStatus['kinds'] {
  return status.kinds.filter((k) => !k.synced || (k.gap !== undefined && !k.gap.optional));
}

// The most suspects of one alert compared one by one (a view rebuilt for each).
const COUNTERFACTUALS = 6;

/** Which of these broken pairs (or webhook calls) work in `mesh`. */
function working(
  mesh: ResolvedMesh,
  scopes: readonly Scope[],
  brokenKeys: ReadonlySet<string>,
): ReadonlySet<string> {
  const works = new Set<string>();
  for (const judged of pairsIn(mesh, scopes)) {
    const key = pairKey(judged);
    if (judged.pair.outcome === 'ok' && brokenKeys.has(key)) works.add(key);
  }
  for (const e of webhookEndpoints(mesh)) {
    const key = webhookKey(e);
    if (e.mode !== 'STRICT' && brokenKeys.has(key)) works.add(key);
  }
  return works;
}

/**
 * Where a pair is: its service's namespace, and its client's (none for the API server calling a
 * webhook, which names the webhook configuration instead).
 */
interface PairPlace {
  readonly target: string;
  readonly client?: string;
  readonly configuration?: string;
}

function covers(scope: Scope, place: PairPlace): boolean {
  if (scope.targets && !scope.targets.has(place.target)) return false;
  // A client-side scope (a Sidecar's) says nothing of the API server's calls.
  if (place.client === undefined) return !scope.clients;
  return !scope.clients || scope.clients.has(place.client);
}

/**
 * The changes that can have broken (or repaired) a pair at these places: every event of an object one
 * of whose events has a scope covering one, or that is the webhook configuration of one. An unrelated
 * change of the same burst is not blamed, nor offered for revert; when no scope covers any (which the
 * comparison, walking only these scopes, should not allow), the whole burst is, rather than none.
 */
function blamed(
  scoped: readonly { change: ObjectChange; scopes: readonly Scope[] }[],
  places: readonly PairPlace[],
): ObjectChange[] {
  const configurations = new Set(places.flatMap((p) => (p.configuration ? [p.configuration] : [])));
  const objects = new Set<string>();
  for (const { change, scopes } of scoped) {
    const raw = (change.after ?? change.before) as RawObject;
    const configuration = `${raw.object.kind}/${metaOf(raw).name}`;
    if (configurations.has(configuration) || scopes.some((s) => places.some((p) => covers(s, p))))
      objects.add(objectKey(raw));
  }
  const changes = scoped.map((b) => b.change);
  if (objects.size === 0) return changes;
  return changes.filter((c) => objects.has(objectKey((c.after ?? c.before) as RawObject)));
}

/** How many objects these changes are of (an object changed many times is one). */
function objectCount(pending: readonly PendingChange[]): number {
  return new Set(pending.map(({ change }) => objectKey((change.after ?? change.before) as RawObject))).size;
}

/**
 * The held changes, one per object (from its first "before" to its last "after", with all the scopes
 * its changes had): a long outage with steady changes does not grow the pending burst without bound.
 */
function foldByObject(pending: readonly PendingChange[]): PendingChange[] {
  const byObject = new Map<
    string,
    { first: ObjectChange; last: ObjectChange; scopes: Map<string, Scope>; fromViews: boolean }
  >();
  for (const { change, scopes, fromViews } of pending) {
    const raw = (change.after ?? change.before) as RawObject;
    const m = metaOf(raw);
    const key = `${raw.object.kind}/${m.namespace ?? ''}/${m.name}`;
    const entry = byObject.get(key) ?? { first: change, last: change, scopes: new Map(), fromViews };
    entry.last = change;
    entry.fromViews ||= fromViews;
    for (const scope of scopes) entry.scopes.set(scopeKey(scope), scope);
    byObject.set(key, entry);
  }
  return [...byObject.values()].flatMap(({ first, last, scopes, fromViews }) => {
    // Created and deleted while held: no change.
    if (!first.before && !last.after) return [];
    const type = !first.before ? 'ADDED' : !last.after ? 'DELETED' : 'MODIFIED';
    const change: ObjectChange = { type, before: first.before, after: last.after };
    return [{ change, scopes: [...scopes.values()], fromViews }];
  });
}

function scopeKey(scope: Scope): string {
  const list = (set: ReadonlySet<string> | undefined) => (set ? [...set].sort() : null);
  return JSON.stringify([list(scope.targets), list(scope.clients)]);
}

/** One webhook endpoint the API server cannot reach: the webhook, the pod's workload and its port. */
function webhookKey(b: BlockedWebhook): string {
  return `webhook:${b.webhook.configuration.kind}/${b.webhook.configuration.name}/${b.webhook.name}->${workloadKey(b.workload)}:${b.targetPort}`;
}

// A workload's proxy as its running pods last showed it, or 'mixed' when they disagreed.
type SidecarState = ProxyKind | 'mixed';

// Workloads remembered after their pods are gone; the longest unseen are forgotten first.
const REMEMBERED_OWNERS = 50_000;

/**
 * What each workload's running pods said about the sidecar at the comparisons so far, kept after
 * they are gone: one pod replaced at a time (a StatefulSet, a Recreate rollout) is compared with
 * what its workload was, even when another change was compared in between.
 */
class SidecarMemory {
  private readonly states = new Map<string, SidecarState>();

  learn(mesh: ResolvedMesh): void {
    for (const w of mesh.snapshot.workloads) {
      if (w.podNames.length === 0) continue;
      const key = workloadKey(w);
      this.states.delete(key);
      this.states.set(key, stateOf(w));
    }
    for (const key of this.states.keys()) {
      if (this.states.size <= REMEMBERED_OWNERS) break;
      this.states.delete(key);
    }
  }

  get(key: string): SidecarState | undefined {
    return this.states.get(key);
  }

  /** Workloads of `after` that `before` lacked and that said otherwise when last seen, with that state. */
  returning(before: ResolvedMesh, after: ResolvedMesh): Map<Workload, ProxyKind> {
    const out = new Map<Workload, ProxyKind>();
    let present: Set<string> | undefined;
    for (const w of after.snapshot.workloads) {
      if (w.podNames.length === 0) continue;
      const key = workloadKey(w);
      const was = this.states.get(key);
      if (was === undefined || was === 'mixed' || was === stateOf(w)) continue;
      present ??= new Set(before.snapshot.workloads.map(workloadKey));
      if (!present.has(key)) out.set(w, was);
    }
    return out;
  }
}

function stateOf(w: Workload): SidecarState {
  return w.mixedPods ? 'mixed' : w.proxy;
}

/**
 * `mesh` with these workloads as their pods were when last seen (with or without the sidecar), and
 * those workloads as it has them.
 */
function asTheyWere(
  mesh: ResolvedMesh,
  states: ReadonlyMap<Workload, ProxyKind>,
): { past: ResolvedMesh; back: Set<Workload> } {
  const back = new Set<Workload>();
  const workloads = mesh.snapshot.workloads.map((w): Workload => {
    const state = states.get(w);
    if (!state) return w;
    // The pods now carry the injector's label, which says nothing of pods that had no sidecar.
    const tlsMode = state === 'sidecar' ? (w.podLabels[TLS_MODE_LABEL] ?? ISTIO_TLS_MODE) : DISABLED_TLS_MODE;
    const was: Workload = { ...w, proxy: state, mixedPods: undefined, tlsMode };
    back.add(was);
    return was;
  });
  return { past: new ResolvedMesh({ ...mesh.snapshot, workloads }), back };
}

const targetsByNamespace = new WeakMap<ResolvedMesh, Map<string, ServiceTarget[]>>();

/**
 * Pods come and go all the time (scaling, rollouts): one counts only when it disagrees about the
 * sidecar with what its workload was (a rollout that drops or brings back the sidecar, even one pod
 * replaced at a time), its namespace's workloads as clients and servers; or, of a workload never
 * seen, when it joins a service whose endpoints say otherwise about the sidecar (a canary without
 * it behind a service its clients reach with ISTIO_MUTUAL), that namespace's services. Agreeing
 * churn costs a lookup.
 */
function podScopes(raw: RawObject, baseline: ResolvedMesh, memory: SidecarMemory): Scope[] {
  const { namespace: ns, labels, owner, sidecar } = rawPod(raw);
  const was = memory.get(workloadKey({ kind: owner.kind, namespace: ns, name: owner.name }));
  if (was !== undefined) {
    if (was !== 'mixed' && (was === 'sidecar') === sidecar) return [];
    return [{ targets: new Set([ns]) }, { clients: new Set([ns]) }];
  }
  let byNamespace = targetsByNamespace.get(baseline);
  if (!byNamespace) {
    byNamespace = new Map();
    for (const t of baseline.targets) pushTo(byNamespace, t.namespace, t);
    targetsByNamespace.set(baseline, byNamespace);
  }
  const joinsUnlike = (byNamespace.get(ns) ?? []).some((t) => {
    const selector = t.service?.selector ?? t.entry?.workloadSelector;
    return (
      selector !== undefined &&
      selectorMatches(selector, labels) &&
      t.backends.some((b) => b.mixedPods || (b.proxy === 'sidecar') !== sidecar)
    );
  });
  return joinsUnlike ? [{ targets: new Set([ns]) }] : [];
}

// A pair by identities (the client's kind, namespace and name, and the service port), not by its shown
// name, which gains " (Kind)" only while another workload has the same name.
const pairKey = ({ client, pair }: JudgedPair) => `${workloadKey(client)}→${pair.to}`;

function* pairsIn(mesh: ResolvedMesh, scopes: readonly Scope[]): Generator<JudgedPair> {
  // Services scoped to namespaces are walked namespace by namespace; an unscoped one walks them all.
  const unscoped = scopes.filter((s) => !s.targets);
  const byNamespace = new Map<string, Scope[]>();
  for (const scope of scopes)
    for (const ns of scope.targets ?? []) byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), scope]);
  const clientAllowed = (from: string, list: readonly Scope[]) =>
    list.some((s) => !s.clients || s.clients.has(from.split('/')[0] as string));
  if (unscoped.length > 0) {
    for (const judged of judgedPairs(mesh, undefined)) {
      const ns = judged.target.namespace;
      if (clientAllowed(judged.pair.from, [...unscoped, ...(byNamespace.get(ns) ?? [])])) yield judged;
    }
    return;
  }
  for (const [ns, list] of byNamespace) {
    for (const judged of judgedPairs(mesh, ns)) if (clientAllowed(judged.pair.from, list)) yield judged;
  }
}

type Meta = {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  managedFields?: { manager?: string; time?: string }[];
};

const EXPORT_TO = 'networking.istio.io/exportTo';
const metaOf = (raw: RawObject | undefined) => (raw?.object.metadata ?? {}) as Meta;
const INJECTION_LABELS = ['istio-injection', 'istio.io/rev', 'sidecar.istio.io/inject'];

// What of an object steers mTLS, per kind (undefined: the kind does not matter to the matrix).
function relevantPart(kind: string, raw: RawObject | undefined): unknown {
  if (!raw) return undefined;
  const labels = metaOf(raw).labels ?? {};
  const injection = Object.fromEntries(
    INJECTION_LABELS.filter((l) => l in labels).map((l) => [l, labels[l]]),
  );
  switch (kind) {
    case 'PeerAuthentication':
    case 'DestinationRule':
    case 'ServiceEntry':
    case 'Sidecar':
    case 'VirtualService':
      return raw.object.spec ?? {};
    case 'Service':
      // Its exportTo is an annotation: who may call it is part of what it is to the matrix.
      return { spec: raw.object.spec ?? {}, exportTo: metaOf(raw).annotations?.[EXPORT_TO] };
    case 'Namespace':
      return { labels: injection };
    case 'Pod':
      return { labels: injection, istioProxyContainer: rawPod(raw).sidecar };
    case 'ConfigMap':
      return raw.object.data ?? {};
    case 'ValidatingWebhookConfiguration':
    case 'MutatingWebhookConfiguration':
      return raw.object.webhooks ?? [];
    default:
      return undefined;
  }
}

/** Whether the change touches what steers mTLS (of a kind that does): cheap, per event. */
function steersMtls(change: ObjectChange): boolean {
  const raw = change.after ?? change.before;
  if (!raw) return false;
  const kind = String(raw.object.kind);
  return (
    JSON.stringify(relevantPart(kind, change.before)) !== JSON.stringify(relevantPart(kind, change.after))
  );
}

function scopesOf(change: ObjectChange, views: ScopeViews): Scope[] {
  const raw = change.after ?? change.before;
  if (!raw || !steersMtls(change)) return [];
  const kind = String(raw.object.kind);
  const ns = metaOf(raw).namespace ?? '';
  const only = (n: string) => new Set([n]);
  const inRoot = views.rootNamespaces.has(ns);
  switch (kind) {
    case 'PeerAuthentication':
      // Server side: the services of its namespace; in the root namespace, every service.
      return [inRoot ? {} : { targets: only(ns) }];
    case 'ServiceEntry':
    case 'Service':
      return [{ targets: only(ns) }];
    case 'Sidecar':
      // Which services its clients' proxies see: theirs to every service; the root's is every namespace's default.
      return [inRoot ? {} : { clients: only(ns) }];
    // A VirtualService: which subset (so which subset TLS) calls to its hosts reach, from any namespace
    // it is exported to. A DestinationRule: the client side of the services its host names, called
    // from anywhere it applies. Both by the hosts they had and the hosts they have.
    case 'VirtualService':
    case 'DestinationRule': {
      const targets = targetNamespaces(hostsBeforeAndAfter(change), ns, views.serviceEntries);
      return [targets ? { targets } : {}];
    }
    case 'Namespace': {
      const name = metaOf(raw).name ?? '';
      // Its workloads as servers (every client) and as clients (every service).
      return [{ targets: only(name) }, { clients: only(name) }];
    }
    case 'Pod':
      return [{ targets: only(ns) }, { clients: only(ns) }];
    case 'ConfigMap':
      return [{}];
    // Which Services the API server calls: compared as webhooks, no pair of the matrix.
    case 'ValidatingWebhookConfiguration':
    case 'MutatingWebhookConfiguration':
      return [{ targets: new Set<string>() }];
    default:
      return [];
  }
}

/** `spec.hosts` (a VirtualService) or `spec.host` (a DestinationRule), before and after the change. */
function hostsBeforeAndAfter(change: ObjectChange): string[] {
  return [change.before, change.after].flatMap((raw) => {
    const spec = raw?.object.spec as { hosts?: unknown; host?: unknown } | undefined;
    if (Array.isArray(spec?.hosts)) return spec.hosts.map(String);
    return typeof spec?.host === 'string' && spec.host !== '' ? [spec.host] : [];
  });
}

/**
 * The namespaces of the services these hosts name: a Kubernetes service's (hostNamespace) and any
 * ServiceEntry's with that very host; undefined when one of them could be anywhere (a wildcard, a host
 * no service has).
 */
function targetNamespaces(
  hosts: readonly string[],
  ns: string,
  entries: readonly ServiceEntry[],
): Set<string> | undefined {
  if (hosts.length === 0) return undefined;
  const found = new Set<string>();
  for (const raw of hosts) {
    const host = raw.toLowerCase();
    const owners = entries.filter((se) => se.hosts.some((h) => h.toLowerCase() === host));
    for (const se of owners) found.add(se.meta.namespace);
    const service = hostNamespace(host, ns);
    if (service !== undefined) found.add(service);
    else if (owners.length === 0) return undefined;
  }
  return found;
}

/** The namespace of a DestinationRule host (`svc`, `svc.ns`, `svc.ns.svc.cluster.local`); undefined for wildcards. */
function hostNamespace(host: string, ruleNamespace: string): string | undefined {
  if (host.startsWith('*')) {
    const rest = host.slice(2).split('.');
    return rest.length >= 3 && rest[1] === 'svc' ? rest[0] : undefined;
  }
  const parts = host.split('.');
  if (parts.length === 1) return ruleNamespace;
  if (parts.length === 2 || parts[2] === 'svc') return parts[1];
  return undefined;
}

// Several events of one object in a burst are one change: from its first "before" to its last "after".
function mergeChanges(changes: readonly ObjectChange[]): ChangedObject[] {
  const byObject = new Map<string, { first: ObjectChange; last: ObjectChange }>();
  for (const change of changes) {
    const raw = (change.after ?? change.before) as RawObject;
    const m = metaOf(raw);
    const key = `${raw.object.kind}/${m.namespace ?? ''}/${m.name}`;
    const entry = byObject.get(key);
    if (entry) entry.last = change;
    else byObject.set(key, { first: change, last: change });
  }
  // An object created and deleted within the burst changed nothing: no change to show or revert.
  const net = [...byObject.values()].filter(({ first, last }) => first.before || last.after);
  return net.map(({ first, last }) => {
    const raw = (last.after ?? last.before) as RawObject;
    const kind = String(raw.object.kind);
    const m = metaOf(raw);
    const newest = [...(metaOf(last.after).managedFields ?? [])]
      .filter((f) => f.time)
      .sort((a, b) => String(b.time).localeCompare(String(a.time)))[0];
    const type = !first.before ? 'ADDED' : !last.after ? 'DELETED' : 'MODIFIED';
    const yamlOf = (part: unknown) => (part === undefined ? '' : stringify(part));
    const name = `${kind} ${m.namespace ? `${m.namespace}/` : ''}${m.name}`;
    return {
      kind,
      namespace: m.namespace,
      name: m.name ?? '',
      type,
      diff: createTwoFilesPatch(
        `${name} (before)`,
        `${name} (after)`,
        yamlOf(relevantPart(kind, first.before)),
        yamlOf(relevantPart(kind, last.after)),
        undefined,
        undefined,
        { context: 3 },
      )
        .split('\n')
        .slice(2)
        .join('\n'),
      manager: newest?.manager,
      changedAt: newest?.time,
      resourceVersion: metaOf(last.after ?? last.before).resourceVersion,
      revert: withGrant(revertOf(kind, type, first.before, last.after), kind, m.namespace, m.name ?? ''),
    };
  });
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The JSON merge patch that turns `from` into `to`. */
function mergePatchTo(from: unknown, to: unknown): unknown {
  if (!isObject(from) || !isObject(to)) return to === undefined ? null : to;
  const patch: Json = {};
  for (const key of Object.keys(from)) if (!(key in to)) patch[key] = null;
  for (const [key, value] of Object.entries(to)) {
    if (JSON.stringify(from[key]) !== JSON.stringify(value)) patch[key] = mergePatchTo(from[key], value);
  }
  return patch;
}

// A revert the remediate role cannot carry out is still shown, as a command for someone who may.
function withGrant(
  revert: ChangedObject['revert'],
  kind: string,
  namespace: string | undefined,
  name: string,
): ChangedObject['revert'] {
  if (!revert || botMayRevert(revert.action, kind, namespace, name)) return revert;
  return { ...revert, byHand: true };
}

// The kinds whose added object a Revert deletes: those the bot may delete (components/remediate
// grants delete on PeerAuthentications and DestinationRules only). An added Sidecar, ServiceEntry or
// VirtualService is shown with its diff, not offered for deletion; a Service, namespace or ConfigMap
// is not the bot's to remove, and a pod is its controller's.
const DELETABLE_ON_REVERT = new Set(
  REVERT_GRANTS.filter((g) => g.verbs.includes('delete')).map((g) => g.kind),
);

function revertOf(
  kind: string,
  type: ObjectChange['type'],
  before: RawObject | undefined,
  after: RawObject | undefined,
): ChangedObject['revert'] {
  const source = before ?? after;
  const apiVersion = String(source?.object.apiVersion ?? 'v1');
  if (type === 'ADDED') return DELETABLE_ON_REVERT.has(kind) ? { apiVersion, action: 'delete' } : undefined;
  // A pod is its controller's; a webhook configuration its owner's (the bot may not write either).
  if (kind === 'Pod' || kind.endsWith('WebhookConfiguration') || !before) return undefined;
  const field = kind === 'ConfigMap' ? 'data' : 'spec';
  if (type === 'DELETED') {
    const m = metaOf(before);
    // A Service's exportTo is an annotation: who may call it comes back with it.
    const exportTo = kind === 'Service' ? m.annotations?.[EXPORT_TO] : undefined;
    return {
      apiVersion,
      action: 'create',
      body: {
        apiVersion,
        kind,
        metadata: {
          name: m.name,
          namespace: m.namespace,
          labels: m.labels,
          ...(exportTo !== undefined ? { annotations: { [EXPORT_TO]: exportTo } } : {}),
        },
        [field]: before.object[field],
      },
    };
  }
  if (kind === 'Namespace') {
    const labelsOf = (raw: RawObject | undefined) => (relevantPart(kind, raw) as { labels: Json }).labels;
    return {
      apiVersion,
      action: 'merge-patch',
      body: { metadata: { labels: mergePatchTo(labelsOf(after), labelsOf(before)) } },
    };
  }
  const body: Json = {};
  const fieldPatch = mergePatchTo(after?.object[field] ?? {}, before.object[field] ?? {});
  if (!isEmptyObject(fieldPatch)) body[field] = fieldPatch;
  if (kind === 'Service') {
    const was = metaOf(before).annotations?.[EXPORT_TO];
    const now = after ? metaOf(after).annotations?.[EXPORT_TO] : undefined;
    if (was !== now) body.metadata = { annotations: { [EXPORT_TO]: was ?? null } };
  }
  // A patch that would change nothing is no Revert: approving it would audit a no-op as "applied".
  return isEmptyObject(body) ? undefined : { apiVersion, action: 'merge-patch', body };
}

function isEmptyObject(value: unknown): boolean {
  return isObject(value) && Object.keys(value).length === 0;
}
