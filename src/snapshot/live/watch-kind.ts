// Keeps one kind's objects current: LIST once (paginated), then WATCH from the list's resourceVersion
// with bookmarks; a 410 Gone (the version expired) re-LISTs, telling what the re-LIST changed as watch
// events would have; a closed stream re-WATCHes from the last version seen, and a failure (403,
// unreachable) is kept as a gap until the watch is back. Whatever does not get the watch anywhere
// (failures, streams that end at once, 410 after 410) is retried after a jittered back-off, so a proxy
// that closes every stream does not turn into a request loop. A watch that hangs (no answer, or a
// stream that went silent) is cut at its deadline and is a gap meanwhile.
import { ApiException } from '@kubernetes/client-node';
import type { RawObject } from '../read-manifests.js';
import type { Gap } from '../types.js';
import { type ApiFailure, classify, describeTarget, gapReason, type ListTarget } from './api-errors.js';
import { type FetchPage, type PagingLimits, readPages } from './list-pages.js';
import { DEFAULT_DEADLINES, StreamDeadlines, type WatchDeadlines } from './watch-deadlines.js';

export interface ListPage {
  readonly items?: unknown;
  readonly metadata?: { readonly resourceVersion?: string; readonly continue?: string };
}

/** How to read one kind: the LIST call (plain JSON, counted), the WATCH path, the conversion. */
export interface KindSpec {
  /** `pods`, `peerauthentications.security.istio.io`: the metrics label. */
  readonly name: string;
  /** For gap reasons (the RBAC rule a failure points at). */
  readonly target: Omit<ListTarget, 'verb'>;
  /** Tried in order: an Istio CRD is served as v1, or v1beta1 on older Istio. */
  readonly versions: readonly {
    readonly list: (limit: number, continueToken: string | undefined) => Promise<ListPage>;
    readonly watchPath: string;
    readonly convert: (item: unknown) => RawObject | undefined;
  }[];
  readonly fieldSelector?: string;
  /** Whether an object of this kind, namespace and name is one this watcher sees (read-your-writes). */
  readonly covers: (kind: string, namespace: string | undefined, name: string) => boolean;
  /**
   * When no version is served (the CRD is not installed): a fact about the cluster, not a failure. Its
   * gap (Istio not installed), or 'empty' when it only means there are no such objects (Gateways).
   */
  readonly notServed?: Gap | 'empty';
  /**
   * A cross-check: when it cannot be read (no RBAC for it) the model is still synced and complete, and
   * its gap is an optional one.
   */
  readonly optional?: boolean;
  /** What a failure to read it leaves unchecked, said after the failure in its gap. */
  readonly unchecked?: string;
}

/**
 * What client-node's `Watch` does: one streaming GET with `?watch=true`, resolved once it is open.
 * `signal` aborts it before then too (StreamWatch honours it; client-node's Watch cannot).
 */
export interface WatchClient {
  watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (type: string, object: unknown) => void,
    done: (error: unknown) => void,
    signal?: AbortSignal,
  ): Promise<AbortController>;
}

export interface WatcherOptions {
  readonly pageSize: number;
  /** The server ends each watch after this long (plus jitter); the watcher then re-watches. */
  readonly watchTimeoutSeconds?: number;
  readonly backoffMs?: { readonly first: number; readonly max: number };
  readonly deadlines?: Partial<WatchDeadlines>;
  readonly now?: () => number;
  /** Limits of one LIST's pages (objects, pages, 410 restarts); the time one LIST may take. */
  readonly paging?: Omit<PagingLimits, 'deadline'>;
  readonly listTimeoutMs?: number;
}

/** A whole LIST of one kind (every page) that takes longer has stalled: a gap, listed again later. */
const LIST_TIMEOUT_MS = 5 * 60_000;

async function attemptOnce<T>(call: () => Promise<T>): Promise<{ value: T } | { failure: ApiFailure }> {
  try {
    return { value: await call() };
  } catch (error) {
    return { failure: classify(error) };
  }
}

export interface KindStatus {
  readonly name: string;
  /** The first LIST completed (or the kind is known not to be served). */
  readonly synced: boolean;
  /** The store is current: the watch is established (or the kind is not served). */
  readonly healthy: boolean;
  /** When the store was last known current (ms since epoch); undefined before the first sync. */
  readonly currentAt?: number;
  readonly gap?: Gap;
}

/**
 * One object added, changed or deleted, as a watch event told it, or as a re-LIST found it (the
 * changes a watch gap hid: a 410, a kind served again); not the first LIST, which is the start.
 */
export interface ObjectChange {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly before?: RawObject;
  readonly after?: RawObject;
}

export class KindWatcher {
  private objects = new Map<string, RawObject>();
  /** A LIST (or "not served") has filled the store: the next one is compared with it. */
  private listed = false;
  private resourceVersion = '';
  private versionIndex = 0;
  private synced = false;
  private healthy = false;
  private currentAt?: number;
  private failure?: Gap;
  private stopped = false;
  /** Rounds in a row that got the watch nowhere; a stream that works sets it back to zero. */
  private setbacks = 0;
  /** Streams in a row that ended at once with no event. */
  private shortStreams = 0;
  /**
   * The last streams failed without a word (they ended at once, or went silent): the next one is
   * trusted, and the kind current, only once it delivers an event or a bookmark, not when it opens.
   */
  private suspect = false;
  /** Cancels the watch request in flight, open or not. */
  private abortRequest?: () => void;
  /** This kind's streams have sent bookmarks: a stream silent for two of their intervals is dead. */
  private bookmarking = false;
  private wake?: () => void;
  private readonly listeners = new Set<(contentChanged: boolean) => void>();
  private readonly objectListeners = new Set<(change: ObjectChange) => void>();

  constructor(
    readonly spec: KindSpec,
    private readonly watcher: WatchClient,
    private readonly options: WatcherOptions,
  ) {}

  /** Runs until stop(): list, watch, re-watch, re-list on 410, back off on failures. */
  async run(): Promise<void> {
    const backoff = this.options.backoffMs ?? { first: 500, max: 30_000 };
    while (!this.stopped) {
      const round = this.resourceVersion ? await this.watchOnce() : await this.list();
      if (this.stopped) return;
      if (round === 'listed' || round === 'resumable') continue;
      this.setbacks++;
      // One 410 is routine (the watch cache moved on): list again at once; only 410 after 410 waits.
      if (round === 'expired' && this.setbacks === 1) continue;
      await this.sleep(backoffDelay(backoff, this.setbacks));
    }
  }

  stop(): void {
    this.stopped = true;
    this.abortRequest?.();
    this.wake?.();
  }

  items(): Iterable<RawObject> {
    return this.objects.values();
  }

  status(): KindStatus {
    const notServed = this.spec.notServed === 'empty' ? undefined : this.spec.notServed;
    const gap = this.failure ?? (this.synced && this.versionIndex < 0 ? notServed : undefined);
    return {
      name: this.spec.name,
      synced: this.synced,
      healthy: this.healthy,
      currentAt: this.currentAt,
      gap,
    };
  }

  /**
   * The object (by kind, namespace, name) is at least at this resourceVersion, or the stream is past
   * it. A deleted object is seen once it is gone (or back, newer): the version it had says nothing
   * about the deletion's.
   */
  hasSeen(written: {
    readonly namespace?: string;
    readonly name: string;
    readonly resourceVersion: string;
    readonly deleted?: boolean;
  }): boolean {
    const { resourceVersion } = written;
    const stored = this.objects.get(key(written.namespace, written.name));
    const version = stored && versionOf(stored);
    if (written.deleted) {
      // Gone, or created again since; an object still terminating (finalizers) is not gone yet.
      if (!stored) return true;
      const terminating = (stored.object.metadata as { deletionTimestamp?: string }).deletionTimestamp;
      return !terminating && version !== resourceVersion && atLeast(version, resourceVersion);
    }
    if (version === resourceVersion) return true;
    return atLeast(version, resourceVersion) || atLeast(this.resourceVersion, resourceVersion);
  }

  /**
   * Called after every event; `contentChanged` when what a snapshot shows changed (objects or gap),
   * not for a bookmark or a re-established watch.
   */
  onChange(listener: (contentChanged: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called for every object a watch event or a re-LIST adds, changes or deletes (the change alerts' input). */
  onObject(listener: (change: ObjectChange) => void): void {
    this.objectListeners.add(listener);
  }

  private changed(contentChanged: boolean): void {
    for (const listener of this.listeners) listener(contentChanged);
  }

  private async list(): Promise<Round> {
    for (let index = Math.max(0, this.versionIndex); index < this.spec.versions.length; index++) {
      const version = this.spec.versions[index] as KindSpec['versions'][number];
      const result = await this.listPages(version);
      if ('failure' in result) {
        if (result.failure.kind === 'not-found' && this.spec.notServed) continue;
        this.fail(result.failure, 'list');
        return 'failed';
      }
      this.versionIndex = index;
      const changes = this.replace(result.items);
      this.resourceVersion = result.resourceVersion || '0';
      this.synced = true;
      this.markCurrent(true);
      for (const change of changes) this.tell(change);
      return 'listed';
    }
    // No version served: Istio is not installed. Look again later (it may be installed meanwhile).
    this.versionIndex = -1;
    const changes = this.replace([]);
    this.synced = true;
    this.markCurrent(true);
    for (const change of changes) this.tell(change);
    return 'failed';
  }

  /**
   * Swaps the store for a LIST's items and returns how they differ from it, as client-go's Replace
   * does: added, changed (another resourceVersion) or gone. What changed while the watch could not
   * say (a 410, then a re-LIST) reaches the change alerts as itself, not as part of a later change.
   */
  private replace(items: readonly RawObject[]): ObjectChange[] {
    const old = this.objects;
    const compared = this.listed;
    this.objects = new Map();
    this.listed = true;
    const changes: ObjectChange[] = [];
    for (const raw of items) {
      const k = keyOf(raw);
      this.objects.set(k, raw);
      if (!compared) continue;
      const before = old.get(k);
      old.delete(k);
      if (!before) changes.push({ type: 'ADDED', after: raw });
      else if (versionOf(before) !== versionOf(raw)) changes.push({ type: 'MODIFIED', before, after: raw });
    }
    if (compared) for (const before of old.values()) changes.push({ type: 'DELETED', before });
    return changes;
  }

  private async listPages(
    version: KindSpec['versions'][number],
  ): Promise<{ items: RawObject[]; resourceVersion?: string } | { failure: ApiFailure }> {
    // Every page's resourceVersion is the list's (one snapshot); the last page read holds it.
    let resourceVersion: string | undefined;
    const fetchPage: FetchPage = async (token) => {
      const page = await version.list(this.options.pageSize, token);
      resourceVersion = page?.metadata?.resourceVersion;
      return { items: page?.items, continueToken: page?.metadata?.continue };
    };
    // The watcher retries a failed list itself, after its back-off: one attempt per page here. The
    // limits end a list whose continue tokens repeat or never end, as the one-off read's do.
    const result = await readPages(fetchPage, version.convert, attemptOnce, {
      ...this.options.paging,
      deadline: performance.now() + (this.options.listTimeoutMs ?? LIST_TIMEOUT_MS),
    });
    return 'failure' in result ? result : { items: result.items, resourceVersion };
  }

  private watchOnce(): Promise<Round> {
    const version = this.spec.versions[this.versionIndex];
    if (!version) {
      // Not served at the last look: list again after the back-off.
      this.versionIndex = 0;
      this.resourceVersion = '';
      return Promise.resolve('failed');
    }
    const seconds = this.options.watchTimeoutSeconds ?? 300;
    // Spread the re-watches of the kinds (over a minute with the default 5 minutes).
    const timeoutSeconds = seconds + Math.floor(Math.random() * seconds * 0.2);
    const opened = Date.now();
    return new Promise((resolve) => {
      let ended = false;
      let expired = false;
      let errored = false;
      // The stream delivered something: it works, whatever ends it later.
      let delivered = false;
      const request = new AbortController();
      let established: AbortController | undefined;
      const abort = () => {
        request.abort();
        established?.abort();
      };
      this.abortRequest = abort;
      const deadlines = new StreamDeadlines(
        { ...DEFAULT_DEADLINES, ...this.options.deadlines },
        (message, silent) => {
          // The next stream is trusted only once it delivers: this one looked open, and was not.
          if (silent) this.suspect = true;
          done(new WatchDeadlineError(message));
          abort();
        },
      );
      const done = (error: unknown) => {
        if (ended) return;
        ended = true;
        deadlines.clear();
        this.abortRequest = undefined;
        if (this.stopped) return resolve('failed');
        const worked =
          delivered || (!(error instanceof WatchDeadlineError) && Date.now() - opened >= MIN_STREAM_MS);
        if (worked) {
          this.setbacks = 0;
          this.shortStreams = 0;
        }
        if (expired || statusCode(error) === 410) {
          // The version is too old to resume from: read everything again.
          this.resourceVersion = '';
          this.relisting();
          return resolve('expired');
        }
        if (error) this.fail(watchFailure(error), 'watch');
        if (error || errored) return resolve('failed');
        if (worked) {
          // The server ended the stream (its timeout): resume from the last version seen.
          this.suspect = false;
          return resolve('resumable');
        }
        // Ended at once with nothing in it (a proxy closing streams): no better than a failure. A few in
        // a row mean nothing reaches the model: a gap, until a stream delivers again.
        if (++this.shortStreams >= SHORT_STREAMS_GAP) {
          this.suspect = true;
          this.fail(
            {
              kind: 'other',
              // The same words however long it lasts: the status is published only when it changes.
              message: `the watch streams end at once, with no event (${SHORT_STREAMS_GAP} or more in a row: a proxy in front of the API server closing them?)`,
            },
            'watch',
          );
        }
        resolve('short');
      };
      const onEvent = (type: string, object: unknown) => {
        if (ended) return;
        const obj = object as { metadata?: { resourceVersion?: string }; code?: number };
        if (type === 'ERROR') {
          if (obj?.code === 410) expired = true;
          else {
            errored = true;
            this.fail(watchFailure(object), 'watch');
          }
          return;
        }
        if (type === 'ADDED' || type === 'MODIFIED') {
          const raw = version.convert(object);
          const k = keyOfItem(object);
          const before = this.objects.get(k);
          if (raw) this.objects.set(k, raw);
          // A pod that finished leaves the analysis as it would from a fresh LIST.
          else this.objects.delete(k);
          this.tell({ type: raw ? type : 'DELETED', before, after: raw });
        } else if (type === 'DELETED') {
          const k = keyOfItem(object);
          const before = this.objects.get(k);
          this.objects.delete(k);
          if (before) this.tell({ type, before });
        } else if (type === 'BOOKMARK') {
          this.bookmarking = true;
        } else {
          return;
        }
        delivered = true;
        this.suspect = false;
        deadlines.heard(this.bookmarking);
        if (obj?.metadata?.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
        this.markCurrent(type !== 'BOOKMARK');
      };
      deadlines.requested();
      this.watcher
        .watch(
          version.watchPath,
          {
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds,
            fieldSelector: this.spec.fieldSelector,
          },
          onEvent,
          done,
          request.signal,
        )
        .then(
          (controller) => {
            established = controller;
            // Cut at a deadline, or stopped, while the stream was being opened: close it now.
            if (ended || this.stopped) return void controller.abort();
            deadlines.opened(timeoutSeconds, this.bookmarking);
            // The stream is established: whatever failed before is over (unless streams that opened
            // before brought nothing: then this one must deliver first).
            if (!this.suspect) this.markCurrent(false);
          },
          (error) => done(error ?? new Error('watch failed')),
        );
    });
  }

  private tell(change: ObjectChange): void {
    if (!change.before && !change.after) return;
    for (const listener of this.objectListeners) listener(change);
  }

  private markCurrent(contentChanged: boolean): void {
    const recovered = this.failure !== undefined;
    this.healthy = true;
    this.failure = undefined;
    this.currentAt = (this.options.now ?? Date.now)();
    this.changed(contentChanged || recovered);
  }

  /**
   * The watch expired: whatever changed since its last event is unseen until the re-LIST ends, which
   * may take minutes on a large cluster. A gap meanwhile, so that no answer passes the old view as
   * current and the change alerts wait for the list.
   */
  private relisting(): void {
    const asOf = this.currentAt ? new Date(this.currentAt).toISOString() : 'the last event seen';
    this.healthy = false;
    this.failure = {
      source: describeTarget({ ...this.spec.target, verb: 'list' }),
      reason: `re-listing after the watch expired (410 Gone); showing the view as of ${asOf}`,
      ...(this.spec.optional ? { optional: true } : {}),
    };
    this.changed(true);
  }

  private fail(failure: ApiFailure, verb: 'list' | 'watch'): void {
    const target: ListTarget = { ...this.spec.target, verb };
    const since = this.currentAt
      ? `; answers show what was seen until ${new Date(this.currentAt).toISOString()}`
      : '';
    this.healthy = false;
    this.failure = {
      source: describeTarget(target),
      reason: `${gapReason(failure, target)}${since}${this.spec.unchecked ? `; ${this.spec.unchecked}` : ''}`,
      ...(this.spec.optional ? { optional: true } : {}),
    };
    // An optional kind never holds the model back from its first sync.
    if (this.spec.optional) this.synced = true;
    this.changed(true);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** A watch request cut at one of its deadlines (watch-deadlines.ts): the message says which. */
class WatchDeadlineError extends Error {}

/** How a round of the watcher ended: whether, and after how long, the next one starts. */
type Round = 'listed' | 'resumable' | 'expired' | 'short' | 'failed';

// A stream that ends sooner than this with no event did not work: retried after a back-off, not at once.
const MIN_STREAM_MS = 1_000;
// So many such streams in a row, and the kind is a gap: nothing reaches the model.
const SHORT_STREAMS_GAP = 3;

/**
 * The wait after `setbacks` rounds in a row that got nowhere: doubling up to the maximum, and drawn
 * from its upper half, so that the kinds failing together do not retry together.
 */
function backoffDelay(backoff: { readonly first: number; readonly max: number }, setbacks: number): number {
  const ceiling = Math.min(backoff.first * 2 ** Math.max(0, setbacks - 1), backoff.max);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Resource versions are opaque, but etcd-backed API servers hand out one increasing integer. */
function atLeast(version: string | undefined, wanted: string): boolean {
  if (!version || !/^\d+$/.test(version) || !/^\d+$/.test(wanted)) return false;
  return BigInt(version) >= BigInt(wanted);
}

function statusCode(error: unknown): number | undefined {
  const e = error as { statusCode?: number; code?: unknown } | undefined;
  return e?.statusCode ?? (typeof e?.code === 'number' ? e.code : undefined);
}

// client-node's Watch reports a refused watch as an Error with statusCode; an ERROR event carries a
// Status object. Both are read like any other API answer.
function watchFailure(error: unknown): ApiFailure {
  const code = statusCode(error);
  if (code) {
    const message = (error as { message?: string })?.message;
    return classify(new ApiException(code, message ?? '', { message }, {}));
  }
  return classify(error);
}

function key(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function keyOfItem(item: unknown): string {
  const m = (item as { metadata?: { namespace?: string; name?: string } })?.metadata;
  return key(m?.namespace, m?.name ?? '');
}

function keyOf(raw: RawObject): string {
  return keyOfItem(raw.object);
}

function versionOf(raw: RawObject): string | undefined {
  return (raw.object.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
}
