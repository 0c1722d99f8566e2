// Reads a MeshSnapshot from a live cluster with a fixed set of cluster-wide LISTs (paginated), never one
// request per namespace or pod, so the request count does not grow with the cluster. Whatever cannot be
// read becomes a gap that every output shows; nothing silently becomes "no problems".
import { buildSnapshot } from '../build-snapshot.js';
import { CA_SECRET_NAMES } from '../ca-secrets.js';
import { podIsFinished } from '../pod-owner.js';
import type { RawObject } from '../read-manifests.js';
import type { Gap, MeshSnapshot } from '../types.js';
import {
  type ApiFailure,
  classify,
  describeTarget,
  gapReason,
  type ListTarget,
  UnexpectedAnswerError,
} from './api-errors.js';
import type { Query } from './get-json.js';
import { ClusterUnavailableError, type KubeApi } from './kube-api.js';
import { type FetchPage, type Page, type PagingLimits, readPages } from './list-pages.js';

export { ClusterUnavailableError };

export interface ClusterReadOptions {
  readonly istioNamespace?: string;
  /**
   * Objects per LIST page (the API server's `limit`). Large by default so that the request count
   * stays the same from 10 to thousands of namespaces; lower it for API servers under memory pressure.
   */
  readonly pageSize?: number;
  readonly attempts?: number;
  readonly backoffMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * The whole read's time: past it no list asks for another page (a server handing out continue
   * tokens without end), and that list becomes a gap. Default 5 minutes.
   */
  readonly deadlineMs?: number;
  /** Limits of each paginated LIST (tests lower them); the deadline comes from `deadlineMs`. */
  readonly paging?: Omit<PagingLimits, 'deadline'>;
  /**
   * Also GET the CA Secrets (`cacerts`, `istio-ca-secret`) in the Istio namespace. Off by default: they
   * hold the CA's private key (ca-key.pem), so whoever can read them can mint any identity in the mesh.
   * Without them the roots come from the istio-ca-root-cert ConfigMaps (and proxies' chains).
   */
  readonly readCaSecret?: boolean;
}

export interface ClusterSnapshot {
  readonly snapshot: MeshSnapshot;
  readonly requests: number;
  readonly readMs: number;
  /** Of readMs, building the MeshSnapshot from the objects read (the rest is requests and parsing). */
  readonly buildMs: number;
}

/** A LIST answer as JSON: the items (checked later) and the next page's token. */
export function page(answer: unknown): Page {
  const list = answer as { items?: unknown; metadata?: { continue?: string } } | null;
  return { items: list?.items, continueToken: list?.metadata?.continue };
}

/** The Istio kinds the snapshot reads (also watched by the live model). */
export const ISTIO_KINDS = [
  { group: 'security.istio.io', plural: 'peerauthentications', kind: 'PeerAuthentication' },
  { group: 'networking.istio.io', plural: 'destinationrules', kind: 'DestinationRule' },
  { group: 'networking.istio.io', plural: 'serviceentries', kind: 'ServiceEntry' },
  // Which services each client's proxy sees (egress hosts), and which subset its traffic reaches.
  { group: 'networking.istio.io', plural: 'sidecars', kind: 'Sidecar' },
  { group: 'networking.istio.io', plural: 'virtualservices', kind: 'VirtualService' },
] as const;

/**
 * Kubernetes Gateways: istiod builds waypoints from them (istio.io/use-waypoint names one). Served as v1,
 * or v1beta1 by older Gateway API releases; not served at all when the Gateway API CRDs are not
 * installed, and then no waypoint can exist: no objects, and nothing left unchecked.
 */
export const GATEWAY_KIND = {
  group: 'gateway.networking.k8s.io',
  plural: 'gateways',
  kind: 'Gateway',
} as const;

/**
 * Admission webhook configurations: the Services the API server calls (admission-webhook-strict) and
 * Istio's injector webhooks (which namespaces and pods get a sidecar). A cross-check: without the RBAC
 * to list them the core check is still complete, and the gap says what was not checked.
 */
export const WEBHOOK_KINDS = [
  {
    group: 'admissionregistration.k8s.io',
    plural: 'validatingwebhookconfigurations',
    kind: 'ValidatingWebhookConfiguration',
  },
  {
    group: 'admissionregistration.k8s.io',
    plural: 'mutatingwebhookconfigurations',
    kind: 'MutatingWebhookConfiguration',
  },
] as const;

/** How a custom kind is read when not as it is: a cross-check whose failure is an optional gap, reduced. */
export interface CustomReadOptions {
  readonly optional?: boolean;
  readonly convert?: (apiVersion: string) => Convert;
  /** What a failure to read it leaves unchecked, said after the failure in its gap. */
  readonly unchecked?: string;
}

/**
 * AuthorizationPolicies: which calls arriving without a peer identity the servers deny
 * (mesh/authorization.ts). A cross-check of the mTLS verdict: without the RBAC to list them the mTLS
 * check is complete and the gap says that authorization was not checked; a cluster that does not
 * serve them has none.
 */
export const AUTHORIZATION_KIND = {
  group: 'security.istio.io',
  plural: 'authorizationpolicies',
  kind: 'AuthorizationPolicy',
} as const;

export const authorizationRead: CustomReadOptions = {
  optional: true,
  unchecked:
    'AuthorizationPolicies were not checked: calls they deny to callers without mTLS may show as working',
};

/** A webhook configuration kind is read as a cross-check, reduced to what the analysis reads. */
export const webhookRead = (k: (typeof WEBHOOK_KINDS)[number]): CustomReadOptions => ({
  optional: true,
  convert: liveWebhookConfiguration(k.kind),
});

/** A custom resource the snapshot reads: Istio's kinds, Gateways and webhook configurations. */
export type CustomKind =
  | (typeof ISTIO_KINDS)[number]
  | typeof GATEWAY_KIND
  | typeof AUTHORIZATION_KIND
  | (typeof WEBHOOK_KINDS)[number];

/** The gap of an Istio kind the API server does not serve (Istio not installed). */
export const notServedGap = (k: (typeof ISTIO_KINDS)[number]): Gap => ({
  source: `${k.plural}.${k.group}`,
  reason: `the API server does not serve ${k.plural}.${k.group} (v1 or v1beta1): Istio is not installed in this cluster, or its CRDs are missing`,
});

/** Istio's per-namespace root certificates, all namespaces, by name. */
export const ROOT_CERT_SELECTOR = 'metadata.name=istio-ca-root-cert';

export const CA_SECRETS = [...CA_SECRET_NAMES];
export const DEFAULT_PAGE_SIZE = 5000;
export const DEFAULT_READ_DEADLINE_MS = 300_000;

export async function readClusterSnapshot(
  api: KubeApi,
  options: ClusterReadOptions = {},
): Promise<ClusterSnapshot> {
  const started = performance.now();
  const istioNs = options.istioNamespace ?? 'istio-system';
  const limit = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const reader = new Reader(options, started + (options.deadlineMs ?? DEFAULT_READ_DEADLINE_MS));
  const list = (path: string, c: string | undefined, query: Query = {}) =>
    api.getJson(path, { ...query, limit, continue: c }).then(page);

  const customList = (k: CustomKind) => (version: string, c: string | undefined) =>
    list(`/apis/${k.group}/${version}/${k.plural}`, c);
  const [
    namespaces,
    pods,
    services,
    istioConfigMaps,
    rootCerts,
    caSecrets,
    gateways,
    webhooks,
    authorizationPolicies,
    ...istioObjects
  ] = await Promise.all([
    reader.list({ resource: 'namespaces', group: '', verb: 'list' }, liveAs('Namespace'), (c) =>
      list('/api/v1/namespaces', c),
    ),
    reader.list({ resource: 'pods', group: '', verb: 'list' }, livePod, (c) => list('/api/v1/pods', c)),
    reader.list({ resource: 'services', group: '', verb: 'list' }, liveAs('Service'), (c) =>
      list('/api/v1/services', c),
    ),
    reader.list(
      { resource: 'configmaps', group: '', verb: 'list', namespace: istioNs },
      liveIstioConfigMap,
      (c) => list(`/api/v1/namespaces/${encodeURIComponent(istioNs)}/configmaps`, c),
    ),
    reader.list({ resource: 'configmaps', group: '', verb: 'list' }, liveAs('ConfigMap'), (c) =>
      list('/api/v1/configmaps', c, { fieldSelector: ROOT_CERT_SELECTOR }),
    ),
    Promise.all(
      (options.readCaSecret ? CA_SECRETS : []).map((name) =>
        reader.get({ resource: 'secrets', group: '', verb: 'get', namespace: istioNs, name }, 'Secret', () =>
          api.getJson(
            `/api/v1/namespaces/${encodeURIComponent(istioNs)}/secrets/${encodeURIComponent(name)}`,
          ),
        ),
      ),
    ),
    // Not served: no Gateway API, so no waypoint; no gap (the waypoint check ran, on no Gateways).
    reader.listCustom(GATEWAY_KIND, customList(GATEWAY_KIND), 'empty'),
    Promise.all(WEBHOOK_KINDS.map((k) => reader.listCustom(k, customList(k), 'empty', webhookRead(k)))),
    reader.listCustom(AUTHORIZATION_KIND, customList(AUTHORIZATION_KIND), 'empty', authorizationRead),
    ...ISTIO_KINDS.map((k) => reader.listCustom(k, customList(k), notServedGap(k))),
  ]);

  if (reader.everythingFailed()) {
    const reasons = [...new Set(reader.failures)];
    throw new ClusterUnavailableError(
      `cannot read the cluster at ${api.server}: ${reasons.slice(0, 3).join('; ')}`,
    );
  }
  const raws: RawObject[] = [
    ...namespaces,
    ...pods,
    ...services,
    ...istioConfigMaps,
    ...rootCerts,
    ...caSecrets.flat(),
    ...gateways,
    ...webhooks.flat(),
    ...authorizationPolicies,
    ...istioObjects.flat(),
  ];
  const building = performance.now();
  const snapshot = buildSnapshot(raws, {
    gaps: reader.gaps,
    collectedRootCertConfigMaps: reader.listedEverywhere('configmaps'),
    // Gateways that could not be listed leave the waypoint check undone, never "waypoint missing".
    readGateways: reader.listedEverywhere('gateways'),
    leaveOutInvalid: true,
    istioNamespace: istioNs,
  });
  const done = performance.now();
  return { snapshot, requests: api.requestCount(), readMs: done - started, buildMs: done - building };
}

class Reader {
  readonly gaps: Gap[] = [];
  /** Why each read failed, without what that leaves unchecked: the error when all of them did. */
  readonly failures: string[] = [];
  /** Resources whose cluster-wide LIST failed. */
  private readonly failedEverywhere = new Set<string>();
  private attempted = 0;
  private fatal = 0;

  constructor(
    private readonly options: ClusterReadOptions,
    /** performance.now() past which no list asks for another page. */
    private readonly deadline: number,
  ) {}

  /** Did the cluster-wide LIST of `resource` succeed (all its objects are in the snapshot)? */
  listedEverywhere(resource: string): boolean {
    return !this.failedEverywhere.has(resource);
  }

  /** Every read failed (a missing CA secret or Istio CRD counts as an answer): nothing to analyze. */
  everythingFailed(): boolean {
    return this.attempted > 0 && this.fatal === this.attempted;
  }

  async list(target: ListTarget, convert: Convert, fetchPage: FetchPage): Promise<RawObject[]> {
    this.attempted++;
    const result = await this.pages(fetchPage, convert);
    if ('failure' in result) {
      this.record(target, result.failure);
      return [];
    }
    return result.items;
  }

  async get(target: ListTarget, kind: string, fetch: () => Promise<unknown>): Promise<RawObject[]> {
    this.attempted++;
    const result = await this.withRetry(async () => {
      const value = await fetch();
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new UnexpectedAnswerError('JSON that is not an object');
      return value;
    });
    if ('failure' in result) {
      // A CA secret that does not exist is normal (self-signed or plug-in, not both).
      if (result.failure.kind === 'not-found') return [];
      this.record(target, result.failure);
      return [];
    }
    return [live(result.value, kind, 'v1')];
  }

  /**
   * A CRD's objects: v1 first, v1beta1 for older releases. Both missing means the CRD is not installed:
   * `notServed` is its gap, or 'empty' when that only means there are none (Gateways).
   */
  async listCustom(
    k: CustomKind,
    fetchPage: (version: string, continueToken: string | undefined) => Promise<Page>,
    notServed: Gap | 'empty',
    options: CustomReadOptions = {},
  ): Promise<RawObject[]> {
    this.attempted++;
    for (const version of ['v1', 'v1beta1']) {
      const apiVersion = `${k.group}/${version}`;
      const convert = options.convert?.(apiVersion) ?? liveAs(k.kind, apiVersion);
      const result = await this.pages((c) => fetchPage(version, c), convert);
      if ('items' in result) return result.items;
      if (result.failure.kind !== 'not-found') {
        this.record(
          { resource: k.plural, group: k.group, verb: 'list' },
          result.failure,
          options.optional,
          options.unchecked,
        );
        return [];
      }
    }
    if (notServed !== 'empty') this.gaps.push(notServed);
    return [];
  }

  private record(target: ListTarget, failure: ApiFailure, optional = false, unchecked?: string): void {
    const source = describeTarget(target);
    if (!target.namespace) this.failedEverywhere.add(target.resource);
    this.fatal++;
    const reason = gapReason(failure, target);
    this.failures.push(reason);
    this.gaps.push({
      source,
      reason: unchecked ? `${reason}; ${unchecked}` : reason,
      ...(optional ? { optional } : {}),
    });
  }

  private pages(
    fetchPage: FetchPage,
    convert: Convert,
  ): Promise<{ items: RawObject[] } | { failure: ApiFailure }> {
    return readPages(fetchPage, convert, (call) => this.withRetry(call), {
      ...this.options.paging,
      deadline: this.deadline,
    });
  }

  private async withRetry<T>(call: () => Promise<T>): Promise<{ value: T } | { failure: ApiFailure }> {
    const attempts = this.options.attempts ?? 3;
    const backoff = this.options.backoffMs ?? 250;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
    let failure: ApiFailure | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        return { value: await call() };
      } catch (error) {
        failure = classify(error);
        if (failure.kind !== 'transient' || attempt === attempts) break;
        await sleep(backoff * 2 ** (attempt - 1));
      }
    }
    return { failure: failure as ApiFailure };
  }
}

/** A listed or watched item as a RawObject of the analysis; undefined: not one it reads. */
export type Convert = (item: unknown) => RawObject | undefined;

const NO_LINE = () => 0;

/** A listed or watched item as a RawObject with its kind and apiVersion. */
export function live(item: unknown, kind: string, apiVersion: string): RawObject {
  // List items carry no kind/apiVersion; the analysis needs them. The item is this read's own parse of
  // the answer, so it is completed in place, not copied (27k copies were a good part of the GC).
  const object = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
  object.kind = kind;
  object.apiVersion ??= apiVersion;
  return { object, lineOf: NO_LINE };
}

export const liveAs =
  (kind: string, apiVersion = 'v1'): Convert =>
  (item) =>
    live(item, kind, apiVersion);

/** A running pod, reduced; a finished one is not part of the mesh. */
export const livePod: Convert = (item) => {
  const raw = live(item, 'Pod', 'v1');
  return podIsFinished(raw.object) ? undefined : reducePod(raw);
};

/**
 * A webhook configuration, reduced to what the analysis reads: each webhook's name, selectors, failure
 * policy and Service (not its CA bundle, rules or the rest).
 */
export const liveWebhookConfiguration =
  (kind: string) =>
  (apiVersion: string): Convert =>
  (item) => {
    const raw = live(item, kind, apiVersion);
    const { metadata, webhooks } = raw.object as {
      metadata?: Record<string, unknown>;
      webhooks?: Record<string, unknown>[] | null;
    };
    const object = {
      apiVersion,
      kind,
      // managedFields without their field sets (most of the object): who changed it, for an alert.
      metadata: {
        name: metadata?.name,
        resourceVersion: metadata?.resourceVersion,
        managedFields: (metadata?.managedFields as Record<string, unknown>[] | undefined)?.map(
          ({ manager, operation, time }) => ({ manager, operation, time }),
        ),
      },
      webhooks: (webhooks ?? []).map((w) => ({
        name: w.name,
        namespaceSelector: w.namespaceSelector,
        objectSelector: w.objectSelector,
        failurePolicy: w.failurePolicy,
        clientConfig: { service: (w.clientConfig as { service?: unknown } | undefined)?.service },
      })),
    };
    return { ...raw, object };
  };

/** Only Istio's own ConfigMaps of its namespace (mesh config, injector values). */
export const liveIstioConfigMap: Convert = (item) => {
  const raw = live(item, 'ConfigMap', 'v1');
  return isIstioConfigMap(raw) ? raw : undefined;
};

function isIstioConfigMap(raw: RawObject): boolean {
  const name = (raw.object.metadata as { name?: string } | undefined)?.name ?? '';
  return name === 'istio' || name.startsWith('istio-');
}

// Keeps only what the analysis reads, so a large cluster's pods do not sit in memory whole.
function reducePod(raw: RawObject): RawObject {
  const pod = raw.object as {
    metadata?: Record<string, unknown>;
    spec?: {
      serviceAccountName?: string;
      hostNetwork?: boolean;
      containers?: unknown[];
      initContainers?: unknown[];
    };
  };
  const m = pod.metadata ?? {};
  return {
    ...raw,
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: m.name,
        namespace: m.namespace,
        labels: m.labels,
        annotations: istioAnnotations(m.annotations as Record<string, string> | undefined),
        ownerReferences: m.ownerReferences,
        creationTimestamp: m.creationTimestamp,
        // A terminating pod stands for its workload only while no other pod does (build-snapshot).
        deletionTimestamp: m.deletionTimestamp,
        // The watch model tells a re-LIST's changed pods by it (and has seen the bot's writes by it).
        resourceVersion: m.resourceVersion,
      },
      spec: {
        serviceAccountName: pod.spec?.serviceAccountName,
        hostNetwork: pod.spec?.hostNetwork,
        containers: (pod.spec?.containers ?? []).map(reduceContainer),
        initContainers: (pod.spec?.initContainers ?? []).map(reduceContainer),
      },
    },
  };
}

// Module-level, not closures per pod: they run for every container of every pod of the cluster.
function reduceContainer(c: unknown) {
  const { name, ports, livenessProbe, readinessProbe, startupProbe } = c as Record<string, unknown>;
  return {
    name,
    ports,
    livenessProbe: reduceProbe(livenessProbe),
    readinessProbe: reduceProbe(readinessProbe),
    startupProbe: reduceProbe(startupProbe),
  };
}

function reduceProbe(p: unknown) {
  return p
    ? { httpGet: (p as { httpGet?: unknown }).httpGet, grpc: (p as { grpc?: unknown }).grpc }
    : undefined;
}

// Pod annotations can be large (last-applied configuration); only Istio's steer the analysis.
function istioAnnotations(
  annotations: Record<string, string> | undefined,
): Record<string, string> | undefined {
  if (!annotations) return undefined;
  return Object.fromEntries(Object.entries(annotations).filter(([key]) => key.includes('istio.io/')));
}
