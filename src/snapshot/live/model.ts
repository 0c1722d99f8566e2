// A living model of the mesh: one watcher per kind the snapshot reads (the same kinds, selectors and
// reductions as readClusterSnapshot), and a MeshSnapshot built from their stores on demand, kept until
// the next change. After the first sync, answering from it makes no request to the API server.
import { buildSnapshot } from '../build-snapshot.js';
import type { RawObject } from '../read-manifests.js';
import type { Gap, MeshSnapshot } from '../types.js';
import type { KubeApi } from './kube-api.js';
import {
  AUTHORIZATION_KIND,
  authorizationRead,
  CA_SECRETS,
  type ClusterReadOptions,
  type CustomKind,
  type CustomReadOptions,
  DEFAULT_PAGE_SIZE,
  GATEWAY_KIND,
  ISTIO_KINDS,
  liveAs,
  liveIstioConfigMap,
  livePod,
  notServedGap,
  ROOT_CERT_SELECTOR,
  WEBHOOK_KINDS,
  webhookRead,
} from './read-cluster.js';
import {
  type KindSpec,
  type KindStatus,
  KindWatcher,
  type ListPage,
  type ObjectChange,
  type WatchClient,
  type WatcherOptions,
} from './watch-kind.js';

export type { ObjectChange };

/** An object the bot wrote, as the API server answered it: the model must show at least this version. */
export interface WrittenObject {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  /** The version written; for a delete, the version the object had when it was deleted. */
  readonly resourceVersion: string;
  readonly deleted?: boolean;
}

export interface ModelStatus {
  /** Every kind finished its first LIST. */
  readonly synced: boolean;
  readonly kinds: readonly KindStatus[];
}

export interface ModelOptions
  extends Pick<ClusterReadOptions, 'istioNamespace' | 'pageSize' | 'readCaSecret'> {
  readonly watchTimeoutSeconds?: number;
  readonly backoffMs?: WatcherOptions['backoffMs'];
  readonly watchDeadlines?: WatcherOptions['deadlines'];
  readonly paging?: WatcherOptions['paging'];
  readonly listTimeoutMs?: number;
}

export class ClusterModel {
  private readonly watchers: KindWatcher[];
  private cached?: MeshSnapshot;
  private readonly waiters = new Set<() => void>();
  private readonly statusListeners = new Set<(status: ModelStatus) => void>();
  private published?: string;
  private readonly istioNamespace: string;

  constructor(api: KubeApi, watch: WatchClient, options: ModelOptions = {}) {
    this.istioNamespace = options.istioNamespace ?? 'istio-system';
    const watcherOptions: WatcherOptions = {
      pageSize: options.pageSize ?? DEFAULT_PAGE_SIZE,
      watchTimeoutSeconds: options.watchTimeoutSeconds,
      backoffMs: options.backoffMs,
      deadlines: options.watchDeadlines,
      paging: options.paging,
      listTimeoutMs: options.listTimeoutMs,
    };
    this.watchers = kindSpecs(api, options).map((spec) => new KindWatcher(spec, watch, watcherOptions));
    for (const watcher of this.watchers) {
      watcher.onChange((contentChanged) => {
        if (contentChanged) this.cached = undefined;
        for (const wake of this.waiters) wake();
        this.publishIfChanged();
      });
    }
  }

  start(): void {
    for (const watcher of this.watchers) void watcher.run();
  }

  stop(): void {
    for (const watcher of this.watchers) watcher.stop();
    for (const wake of this.waiters) wake();
  }

  status(): ModelStatus {
    const kinds = this.watchers.map((w) => w.status());
    return { synced: kinds.every((k) => k.synced), kinds };
  }

  /** Called with the status whenever what it says may have changed (sync, failure, recovery). */
  onStatus(listener: (status: ModelStatus) => void): void {
    this.statusListeners.add(listener);
  }

  /**
   * Resolves once every kind has an outcome: synced, or failed (its gap says why), so that an answer
   * never waits for a kind that is refused; false after `timeoutMs`.
   */
  whenSettled(timeoutMs: number): Promise<boolean> {
    return this.waitUntil(() => this.status().kinds.every((k) => k.synced || k.gap !== undefined), timeoutMs);
  }

  /** Called for every object a watch event or a re-LIST adds, changes or deletes, after the store has it. */
  onObjectChange(listener: (change: ObjectChange) => void): void {
    for (const watcher of this.watchers) watcher.onObject(listener);
  }

  /** Resolves once every kind has synced (or `timeoutMs` passed: then false). */
  whenSynced(timeoutMs: number): Promise<boolean> {
    return this.waitUntil(() => this.status().synced, timeoutMs);
  }

  /** Resolves true once the model shows every write (or false after `timeoutMs`). */
  seen(writes: readonly WrittenObject[], timeoutMs: number): Promise<boolean> {
    const pending = () =>
      writes.filter((w) =>
        this.watchers
          .filter((watcher) => watcher.spec.covers(w.kind, w.namespace, w.name))
          .some((watcher) => !watcher.hasSeen(w)),
      );
    return this.waitUntil(() => pending().length === 0, timeoutMs);
  }

  /** The MeshSnapshot of the stores, with a gap for every kind not current; built once per change. */
  snapshot(extraGaps: readonly Gap[] = []): MeshSnapshot {
    if (!this.cached) {
      const raws: RawObject[] = [];
      for (const watcher of this.watchers) for (const raw of watcher.items()) raws.push(raw);
      this.cached = this.build(raws);
    }
    if (extraGaps.length === 0) return this.cached;
    return { ...this.cached, gaps: [...this.cached.gaps, ...extraGaps] };
  }

  /**
   * The snapshot as it would be with some objects otherwise (by `Kind/namespace/name`: that object, or
   * none): what the change alerts compare to tell which change of a burst broke a pair. Not cached.
   */
  snapshotWith(overrides: ReadonlyMap<string, RawObject | undefined>): MeshSnapshot {
    const raws: RawObject[] = [];
    for (const watcher of this.watchers)
      for (const raw of watcher.items()) if (!overrides.has(objectKey(raw))) raws.push(raw);
    for (const raw of overrides.values()) if (raw) raws.push(raw);
    return this.build(raws);
  }

  private build(raws: readonly RawObject[]): MeshSnapshot {
    const statuses = this.watchers.map((w) => w.status());
    const gaps = statuses.flatMap((s): Gap[] => {
      if (s.gap) return [s.gap];
      // Answering before the first LIST of a kind finished: say so, never "nothing there".
      if (!s.synced)
        return [{ source: `${s.name} list`, reason: 'not read yet: the first sync is still running' }];
      return [];
    });
    const current = (name: string) => {
      const status = statuses.find((s) => s.name === name);
      return status?.synced === true && status.gap === undefined;
    };
    return buildSnapshot(raws, {
      gaps,
      collectedRootCertConfigMaps: current('configmaps/istio-ca-root-cert'),
      // Gateways not (yet) read leave the waypoint check undone, never "waypoint missing".
      readGateways: current(GATEWAY_NAME),
      leaveOutInvalid: true,
      istioNamespace: this.istioNamespace,
    });
  }

  // Only when a kind syncs, fails or recovers: not for every pod event of a busy cluster.
  private publishIfChanged(): void {
    const status = this.status();
    const signature = JSON.stringify(status.kinds.map((k) => [k.synced, k.healthy, k.gap?.reason]));
    if (signature === this.published) return;
    this.published = signature;
    for (const listener of this.statusListeners) listener(status);
  }

  private waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    if (condition()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(ok);
      };
      const check = () => {
        if (condition()) finish(true);
      };
      const timer = setTimeout(() => finish(condition()), timeoutMs);
      this.waiters.add(check);
    });
  }
}

/** `Kind/namespace/name`: an object the same across kinds' stores and changes. */
export function objectKey(raw: RawObject): string {
  const m = raw.object.metadata as { namespace?: string; name?: string } | undefined;
  return `${raw.object.kind}/${m?.namespace ?? ''}/${m?.name ?? ''}`;
}

const GATEWAY_NAME = `${GATEWAY_KIND.plural}.${GATEWAY_KIND.group}`;

// The kinds readClusterSnapshot reads, as LIST + WATCH pairs on the same collections and selectors.
function kindSpecs(api: KubeApi, options: ModelOptions): KindSpec[] {
  const istioNs = options.istioNamespace ?? 'istio-system';
  // The same plain-JSON LIST as the one-shot read; the watch then streams from its resourceVersion.
  const list =
    (path: string, query: { fieldSelector?: string } = {}) =>
    (limit: number, c: string | undefined) =>
      api.getJson(path, { ...query, limit, continue: c }) as Promise<ListPage>;
  const clusterWide = (kind: string) => (k: string) => k === kind;
  const custom = (
    k: CustomKind,
    notServed: KindSpec['notServed'],
    options: CustomReadOptions = {},
  ): KindSpec => ({
    name: `${k.plural}.${k.group}`,
    target: { resource: k.plural, group: k.group },
    versions: ['v1', 'v1beta1'].map((version) => ({
      list: list(`/apis/${k.group}/${version}/${k.plural}`),
      watchPath: `/apis/${k.group}/${version}/${k.plural}`,
      convert: options.convert?.(`${k.group}/${version}`) ?? liveAs(k.kind, `${k.group}/${version}`),
    })),
    covers: clusterWide(k.kind),
    notServed,
    ...(options.optional ? { optional: true } : {}),
    ...(options.unchecked ? { unchecked: options.unchecked } : {}),
  });
  const specs: KindSpec[] = [
    {
      name: 'namespaces',
      target: { resource: 'namespaces', group: '' },
      versions: [
        {
          list: list('/api/v1/namespaces'),
          watchPath: '/api/v1/namespaces',
          convert: liveAs('Namespace'),
        },
      ],
      covers: clusterWide('Namespace'),
    },
    {
      name: 'pods',
      target: { resource: 'pods', group: '' },
      versions: [
        {
          list: list('/api/v1/pods'),
          watchPath: '/api/v1/pods',
          convert: livePod,
        },
      ],
      covers: clusterWide('Pod'),
    },
    {
      name: 'services',
      target: { resource: 'services', group: '' },
      versions: [
        {
          list: list('/api/v1/services'),
          watchPath: '/api/v1/services',
          convert: liveAs('Service'),
        },
      ],
      covers: clusterWide('Service'),
    },
    {
      name: `configmaps/${istioNs}`,
      target: { resource: 'configmaps', group: '', namespace: istioNs },
      versions: [
        {
          list: list(`/api/v1/namespaces/${encodeURIComponent(istioNs)}/configmaps`),
          watchPath: `/api/v1/namespaces/${encodeURIComponent(istioNs)}/configmaps`,
          convert: liveIstioConfigMap,
        },
      ],
      covers: (kind, namespace) => kind === 'ConfigMap' && namespace === istioNs,
    },
    {
      name: 'configmaps/istio-ca-root-cert',
      target: { resource: 'configmaps', group: '' },
      fieldSelector: ROOT_CERT_SELECTOR,
      versions: [
        {
          list: list('/api/v1/configmaps', { fieldSelector: ROOT_CERT_SELECTOR }),
          watchPath: '/api/v1/configmaps',
          convert: liveAs('ConfigMap'),
        },
      ],
      covers: (kind, _namespace, name) => kind === 'ConfigMap' && name === 'istio-ca-root-cert',
    },
    // No Gateway API installed: no waypoint can exist, nothing is left unchecked.
    custom(GATEWAY_KIND, 'empty'),
    ...WEBHOOK_KINDS.map((k) => custom(k, 'empty', webhookRead(k))),
    custom(AUTHORIZATION_KIND, 'empty', authorizationRead),
    ...ISTIO_KINDS.map((k) => custom(k, notServedGap(k))),
  ];
  // The CA Secrets hold the CA's key: watched only on the same opt-in as the one-shot read, by name.
  if (options.readCaSecret) {
    for (const name of CA_SECRETS) {
      specs.push({
        name: `secrets/${name}`,
        target: { resource: 'secrets', group: '', namespace: istioNs, name },
        fieldSelector: `metadata.name=${name}`,
        versions: [
          {
            list: list(`/api/v1/namespaces/${encodeURIComponent(istioNs)}/secrets`, {
              fieldSelector: `metadata.name=${name}`,
            }),
            watchPath: `/api/v1/namespaces/${encodeURIComponent(istioNs)}/secrets`,
            convert: liveAs('Secret'),
          },
        ],
        covers: (kind, namespace, n) => kind === 'Secret' && namespace === istioNs && n === name,
      });
    }
  }
  return specs;
}
