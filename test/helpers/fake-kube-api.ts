// A Kubernetes API server on loopback, answering like the real one: List objects with `continue`
// tokens honouring `limit`, Status objects for errors, optional delays and transient failures, and
// WATCH (`?watch=true`): chunked streams of events from a resourceVersion, bookmarks, 410 Gone for a
// version older than the retained history, `timeoutSeconds`.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { KubeConfig } from '@kubernetes/client-node';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly authorization?: string;
  /** Over TLS: the common name of the client certificate presented, if any. */
  readonly clientCertificate?: string;
}

/** Serve HTTPS with this key and certificate; with `ca`, client certificates it signed are required. */
export interface FakeTls {
  readonly key: string;
  readonly cert: string;
  readonly ca?: string;
}

export interface Fault {
  readonly status?: number;
  readonly reason?: string;
  readonly message?: string;
  /** Fail only this many times, then answer normally. */
  readonly times?: number;
  /** Only requests with this method (GET, PATCH, POST). */
  readonly method?: string;
  /** Let this many matching requests through before failing. */
  readonly skip?: number;
  readonly delayMs?: number;
  /** Only collection reads (LIST), not the GET of one object. */
  readonly list?: boolean;
  /** Answer with this raw body (status default 200) instead: an HTML page, JSON that is no list. */
  readonly body?: string;
  /** Content type of `body` (default application/json). */
  readonly contentType?: string;
  /** Only WATCH requests (`?watch=true`). */
  readonly watch?: boolean;
  /** Hold the answer until this settles, then answer normally (a slow first sync, released by the test). */
  readonly until?: Promise<unknown>;
  /** Answer 200 and its headers, then nothing, never ending: a watch stream a proxy holds open and silent. */
  readonly stall?: boolean;
  /** Only while this holds (checked at each request): a fault that starts once something happened. */
  readonly when?: () => boolean;
  /**
   * Carry the request out, then hold its answer this long (a client may time out meanwhile: the
   * write happened, its answer came too late).
   */
  readonly answerDelayMs?: number;
  /** Carry the request out, then hold its answer until this settles. */
  readonly answerUntil?: Promise<unknown>;
  /** Carry the request out, then close the connection without an answer (a reset after the write). */
  readonly dropAnswer?: boolean;
}

/** A SelfSubjectAccessReview's spec.resourceAttributes. */
export interface AccessReview {
  readonly verb?: string;
  readonly group?: string;
  readonly resource?: string;
  readonly namespace?: string;
  readonly name?: string;
}

export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: K8sObject;
  readonly version: number;
}

interface OpenWatch {
  readonly kind: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly res: ServerResponse;
  readonly timers: NodeJS.Timeout[];
}

type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
};

const CORE_COLLECTIONS: Record<string, string> = {
  Namespace: 'namespaces',
  Pod: 'pods',
  Service: 'services',
  ConfigMap: 'configmaps',
  Secret: 'secrets',
};

interface DeleteOptions {
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
}

export interface RecordedWrite {
  readonly method: string;
  readonly path: string;
  readonly dryRun: boolean;
  readonly contentType: string;
  readonly body: unknown;
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export class FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  readonly writes: RecordedWrite[] = [];
  private readonly objects: K8sObject[] = [];
  private readonly faults = new Map<string, Fault & { remaining: number; skipped: number }>();
  /** Requests carried out whose answer is held or dropped (answerDelayMs, answerUntil, dropAnswer). */
  private readonly lateAnswers = new WeakMap<ServerResponse, Fault>();
  private readonly servedGroups = new Set([
    'security.istio.io/v1',
    'networking.istio.io/v1',
    'security.istio.io/v1beta1',
    'networking.istio.io/v1beta1',
    'gateway.networking.k8s.io/v1',
    'gateway.networking.k8s.io/v1beta1',
    'apps/v1',
    // Served by every Kubernetes since 1.16 (v1beta1 is gone since 1.22).
    'admissionregistration.k8s.io/v1',
  ]);
  private version = 100;
  private server?: Server;
  /** Every change since start (the watch cache); a watch from before `compactedAt` gets 410 Gone. */
  private readonly history: WatchEvent[] = [];
  private compactedAt = 0;
  private readonly watches = new Set<OpenWatch>();
  private readonly held = new Set<ServerResponse>();
  /** How often open watches that asked for bookmarks get one. */
  bookmarkMs = 200;
  /** Events reach open watches this late (a slow watch path), bookmarks included. */
  eventDelayMs = 0;
  /**
   * Time this server spent producing answers (the synchronous part of each request: filtering, paging,
   * serialising, writing), so a benchmark in the same process can tell the API's time from the client's.
   */
  answerMs = 0;

  /**
   * What a SelfSubjectAccessReview allows: entries "<verb> <resource> <namespace>" (namespace empty for a
   * cluster-wide request, "*" for any part). Unset, everything is allowed (an admin's kubeconfig).
   */
  accessAllowed: readonly string[] | undefined;
  /** Every SelfSubjectAccessReview asked, for assertions. */
  readonly accessReviews: AccessReview[] = [];

  /** When set, every JSON body this server answers is kept here (a benchmark's floor: parsing them). */
  keptBodies: string[] | undefined;

  add(...objects: K8sObject[]): this {
    this.objects.push(...objects);
    return this;
  }

  /** Make requests whose path starts with `pathPrefix` fail (or be slow). */
  fault(pathPrefix: string, fault: Fault): this {
    this.faults.set(pathPrefix, { ...fault, remaining: fault.times ?? Number.POSITIVE_INFINITY, skipped: 0 });
    return this;
  }

  /** Stop serving an API group version (as if the CRD were not installed in that version). */
  unserve(groupVersion: string): this {
    this.servedGroups.delete(groupVersion);
    return this;
  }

  async start(tls?: FakeTls): Promise<string> {
    const serve = (req: IncomingMessage, res: ServerResponse) => {
      const started = performance.now();
      void this.handle(req, res);
      this.answerMs += performance.now() - started;
    };
    this.server = tls
      ? createTlsServer({ ...tls, requestCert: !!tls.ca, rejectUnauthorized: !!tls.ca }, serve)
      : createServer(serve);
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `${tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.closeWatches();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  kubeConfig(server: string): KubeConfig {
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: 'loopback', server, skipTLSVerify: true }],
      users: [{ name: 'tester', token: 'test-token' }],
      contexts: [{ name: 'loopback', cluster: 'loopback', user: 'tester' }],
      currentContext: 'loopback',
    });
    return config;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    this.requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      authorization: req.headers.authorization,
      clientCertificate:
        'getPeerCertificate' in req.socket
          ? String((req.socket as TLSSocket).getPeerCertificate()?.subject?.CN ?? '') || undefined
          : undefined,
    });
    for (const [prefix, fault] of this.faults) {
      if (!url.pathname.startsWith(prefix) || fault.remaining <= 0) continue;
      if (fault.method && fault.method !== req.method) continue;
      if (fault.list && !this.isList(req.method, url.pathname)) continue;
      if (fault.watch && url.searchParams.get('watch') !== 'true') continue;
      if (fault.when && !fault.when()) continue;
      if (fault.skipped < (fault.skip ?? 0)) {
        fault.skipped++;
        continue;
      }
      fault.remaining--;
      if (fault.answerDelayMs !== undefined || fault.answerUntil || fault.dropAnswer) {
        this.lateAnswers.set(res, fault);
        break;
      }
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (fault.until || fault.stall) {
        this.held.add(res);
        res.on('close', () => this.held.delete(res));
      }
      if (fault.stall) {
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        res.flushHeaders();
        return;
      }
      if (fault.until) {
        await fault.until;
        this.held.delete(res);
        break;
      }
      if (fault.body !== undefined) {
        res.writeHead(fault.status ?? 200, { 'content-type': fault.contentType ?? 'application/json' });
        res.end(fault.body);
        return;
      }
      if (fault.status)
        return this.status(
          res,
          fault.status,
          fault.reason ?? 'InternalError',
          fault.message ?? 'injected fault',
        );
    }
    if (req.method === 'POST' && url.pathname === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews')
      return this.accessReview(req, res);
    const discovery = this.discovery(url.pathname);
    if (discovery) return this.json(res, 200, discovery);
    const route = this.route(url.pathname);
    if (!route)
      return this.status(
        res,
        404,
        'NotFound',
        `the server could not find the requested resource (${url.pathname})`,
      );
    if (req.method === 'PATCH' || req.method === 'POST' || req.method === 'DELETE')
      return this.write(req, res, route, url);
    if (url.searchParams.get('watch') === 'true' && !route.name) return this.watch(res, route, url);
    let items = this.objects.filter(
      (o) => o.kind === route.kind && (!route.namespace || o.metadata.namespace === route.namespace),
    );
    if (route.name) {
      const found = items.find((o) => o.metadata.name === route.name);
      if (!found) return this.status(res, 404, 'NotFound', `${route.collection} "${route.name}" not found`);
      return this.json(res, 200, found);
    }
    const selector = url.searchParams.get('fieldSelector');
    if (selector?.startsWith('metadata.name='))
      items = items.filter((o) => o.metadata.name === selector.slice('metadata.name='.length));
    const limit = Number(url.searchParams.get('limit') ?? 0) || items.length;
    const offset = Number(Buffer.from(url.searchParams.get('continue') ?? '', 'base64').toString() || 0);
    const pageItems = items.slice(offset, offset + limit);
    const next =
      offset + limit < items.length ? Buffer.from(String(offset + limit)).toString('base64') : undefined;
    return this.json(res, 200, {
      apiVersion: route.apiVersion,
      kind: `${route.kind}List`,
      metadata: { resourceVersion: String(this.version), ...(next ? { continue: next } : {}) },
      items: pageItems,
    });
  }

  // API discovery, as client-node's KubernetesObjectApi asks for it (plural and scope of a kind).
  private discovery(path: string): unknown {
    const groups: Record<string, [string, string][]> = {
      '/api/v1': [
        ['namespaces', 'Namespace'],
        ['pods', 'Pod'],
        ['services', 'Service'],
        ['configmaps', 'ConfigMap'],
        ['secrets', 'Secret'],
      ],
      '/apis/security.istio.io/v1': [['peerauthentications', 'PeerAuthentication']],
      '/apis/networking.istio.io/v1': [
        ['destinationrules', 'DestinationRule'],
        ['serviceentries', 'ServiceEntry'],
        ['sidecars', 'Sidecar'],
        ['virtualservices', 'VirtualService'],
      ],
      '/apis/apps/v1': [['deployments', 'Deployment']],
      '/apis/authorization.k8s.io/v1': [['selfsubjectaccessreviews', 'SelfSubjectAccessReview']],
    };
    const list = groups[path];
    if (!list) return undefined;
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: path === '/api/v1' ? 'v1' : path.slice('/apis/'.length),
      resources: list.map(([name, kind]) => ({
        name,
        singularName: kind.toLowerCase(),
        namespaced: kind !== 'Namespace' && kind !== 'SelfSubjectAccessReview',
        kind,
        verbs: ['get', 'list', 'patch', 'create', 'delete'],
      })),
    };
  }

  // A SelfSubjectAccessReview, answered from `accessAllowed` as the authorizer would for this token.
  private async accessReview(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
      spec?: { resourceAttributes?: AccessReview };
    };
    const a = body.spec?.resourceAttributes ?? {};
    this.accessReviews.push(a);
    const wanted = [a.verb ?? '', a.resource ?? '', a.namespace ?? ''];
    const allowed =
      this.accessAllowed === undefined ||
      this.accessAllowed.some((entry) => {
        const parts = entry.split(' ');
        return wanted.every((w, i) => parts[i] === '*' || (parts[i] ?? '') === w);
      });
    return this.json(res, 201, {
      ...body,
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
      status: { allowed },
    });
  }

  /** The stored object, for assertions. */
  find(kind: string, namespace: string | undefined, name: string): K8sObject | undefined {
    return this.objects.find(
      (o) =>
        o.kind === kind &&
        o.metadata.name === name &&
        (namespace === undefined || o.metadata.namespace === namespace),
    );
  }

  // PATCH (JSON merge patch, resourceVersion precondition, dryRun=All), POST (create) and DELETE
  // (DeleteOptions preconditions on uid and resourceVersion, dryRun=All).
  private async write(
    req: IncomingMessage,
    res: ServerResponse,
    route: NonNullable<ReturnType<FakeKubeApi['route']>>,
    url: URL,
  ): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as K8sObject;
    this.writes.push({
      method: req.method ?? '',
      path: url.pathname,
      dryRun: url.searchParams.get('dryRun') === 'All',
      contentType: String(req.headers['content-type'] ?? ''),
      body,
    });
    const dryRun = url.searchParams.get('dryRun') === 'All';
    if (req.method === 'POST') {
      if (this.find(route.kind, route.namespace, body.metadata.name))
        return this.status(
          res,
          409,
          'AlreadyExists',
          `${route.collection} "${body.metadata.name}" already exists`,
        );
      const created = {
        ...body,
        metadata: {
          ...body.metadata,
          namespace: route.namespace,
          uid: randomUUID(),
          resourceVersion: String(++this.version),
        },
      };
      if (!dryRun) {
        this.objects.push(created);
        this.emit('ADDED', created);
      }
      return this.json(res, 201, created);
    }
    const current = route.name ? this.find(route.kind, route.namespace, route.name) : undefined;
    if (!current) return this.status(res, 404, 'NotFound', `${route.collection} "${route.name}" not found`);
    if (req.method === 'DELETE')
      return this.delete(res, route.collection, current, body as DeleteOptions, dryRun);
    if (!String(req.headers['content-type']).startsWith('application/merge-patch+json')) {
      return this.status(
        res,
        415,
        'UnsupportedMediaType',
        `unexpected content type ${req.headers['content-type']}`,
      );
    }
    const wanted = body.metadata?.resourceVersion;
    if (wanted && wanted !== current.metadata.resourceVersion) {
      return this.status(
        res,
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${route.collection} "${route.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    const patched = mergePatch(current, body) as K8sObject;
    patched.metadata = {
      ...patched.metadata,
      resourceVersion: dryRun ? current.metadata.resourceVersion : String(++this.version),
      ...this.managedBy(url, current.metadata.managedFields),
    };
    if (!dryRun) {
      this.objects.splice(this.objects.indexOf(current), 1, patched);
      this.emit('MODIFIED', patched);
    }
    return this.json(res, 200, patched);
  }

  private delete(
    res: ServerResponse,
    collection: string,
    current: K8sObject,
    options: DeleteOptions,
    dryRun: boolean,
  ): void {
    const failed = (['uid', 'resourceVersion'] as const).find((field) => {
      const wanted = options.preconditions?.[field];
      return wanted !== undefined && wanted !== current.metadata[field];
    });
    if (failed) {
      const label = failed === 'uid' ? 'UID' : 'ResourceVersion';
      this.status(
        res,
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${collection} "${current.metadata.name}": Precondition failed: ${label} in precondition: ${options.preconditions?.[failed]}, ${label} in object meta: ${current.metadata[failed]}`,
      );
      return;
    }
    if (dryRun) {
      this.json(res, 200, current);
      return;
    }
    this.objects.splice(this.objects.indexOf(current), 1);
    const deleted = {
      ...current,
      metadata: { ...current.metadata, resourceVersion: String(++this.version) },
    };
    this.emit('DELETED', deleted);
    this.json(res, 200, deleted);
  }

  // The API server records who wrote (the fieldManager parameter) in managedFields.
  private managedBy(url: URL, fields: unknown): { managedFields?: unknown[] } {
    const manager = url.searchParams.get('fieldManager');
    if (!manager) return {};
    const others = (Array.isArray(fields) ? fields : []).filter(
      (f: { manager?: string }) => f.manager !== manager,
    );
    return {
      managedFields: [...others, { manager, operation: 'Update', time: new Date().toISOString() }],
    };
  }

  private isList(method: string | undefined, path: string): boolean {
    const route = this.route(path);
    return method === 'GET' && route !== undefined && route.name === undefined;
  }

  /** Bumps an object's resourceVersion, as if someone else changed it. */
  touch(kind: string, namespace: string, name: string): void {
    const o = this.find(kind, namespace, name);
    if (o) {
      o.metadata = { ...o.metadata, resourceVersion: String(++this.version) };
      this.emit('MODIFIED', o);
    }
  }

  /** Changes a stored object as another client would (a new resourceVersion, a MODIFIED event). */
  update(
    kind: string,
    namespace: string | undefined,
    name: string,
    change: (o: K8sObject) => void,
  ): K8sObject {
    const o = this.find(kind, namespace, name);
    if (!o) throw new Error(`no ${kind} ${namespace}/${name}`);
    change(o);
    o.metadata = { ...o.metadata, resourceVersion: String(++this.version) };
    this.emit('MODIFIED', o);
    return o;
  }

  /** Creates an object as another client would (an ADDED event). */
  create(object: K8sObject): K8sObject {
    const created = {
      ...object,
      metadata: { uid: randomUUID(), ...object.metadata, resourceVersion: String(++this.version) },
    };
    this.objects.push(created);
    this.emit('ADDED', created);
    return created;
  }

  /** Deletes an object as another client would (a DELETED event). */
  remove(kind: string, namespace: string | undefined, name: string): void {
    const o = this.find(kind, namespace, name);
    if (!o) return;
    this.objects.splice(this.objects.indexOf(o), 1);
    o.metadata = { ...o.metadata, resourceVersion: String(++this.version) };
    this.emit('DELETED', o);
  }

  /** Requests held by an `until` or `stall` fault whose client is still connected (for assertions). */
  heldRequests(): number {
    return this.held.size;
  }

  /** Open WATCH streams (for assertions). */
  openWatches(): number {
    return this.watches.size;
  }

  /** Ends every open watch stream cleanly, as an API server does at `timeoutSeconds` or on restart. */
  closeWatches(): void {
    for (const w of this.watches) this.endWatch(w);
  }

  /**
   * The watch cache moves past every version handed out so far (as etcd compaction does): open
   * streams end, `changes` happen unseen by them, and a watch from any earlier version gets 410 Gone.
   */
  expire(changes: () => void = () => {}): void {
    this.closeWatches();
    changes();
    this.history.length = 0;
    this.compactedAt = this.version;
  }

  private emit(type: WatchEvent['type'], object: K8sObject): void {
    const event = { type, object: structuredClone(object), version: this.version };
    this.history.push(event);
    for (const w of this.watches) {
      if (!this.matches(w, object)) continue;
      if (this.eventDelayMs) setTimeout(() => this.send(w.res, type, event.object), this.eventDelayMs);
      else this.send(w.res, type, event.object);
    }
  }

  private matches(w: Omit<OpenWatch, 'res' | 'timers'>, o: K8sObject): boolean {
    return (
      o.kind === w.kind &&
      (!w.namespace || o.metadata.namespace === w.namespace) &&
      (!w.name || o.metadata.name === w.name)
    );
  }

  // A chunked stream of JSON lines, one event each, like the API server's watch.
  private watch(res: ServerResponse, route: NonNullable<ReturnType<FakeKubeApi['route']>>, url: URL): void {
    const from = Number(url.searchParams.get('resourceVersion') || 0);
    const selector = url.searchParams.get('fieldSelector');
    const name = selector?.startsWith('metadata.name=') ? selector.slice('metadata.name='.length) : undefined;
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    if (from > 0 && from < this.compactedAt) {
      // What a real API server does: a 200 stream whose only event is a 410 Status.
      this.send(res, 'ERROR', {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `too old resource version: ${from} (${this.compactedAt})`,
        reason: 'Expired',
        code: 410,
      });
      res.end();
      return;
    }
    const w: OpenWatch = { kind: route.kind, namespace: route.namespace, name, res, timers: [] };
    if (from === 0) {
      for (const o of this.objects) if (this.matches(w, o)) this.send(res, 'ADDED', o);
    } else {
      for (const e of this.history)
        if (e.version > from && this.matches(w, e.object)) this.send(res, e.type, e.object);
    }
    this.watches.add(w);
    if (url.searchParams.get('allowWatchBookmarks') === 'true') {
      w.timers.push(
        setInterval(() => {
          const bookmark = {
            kind: route.kind,
            apiVersion: route.apiVersion,
            metadata: { resourceVersion: String(this.version) },
          };
          // A bookmark never overtakes the events before it.
          setTimeout(() => this.send(res, 'BOOKMARK', bookmark), this.eventDelayMs);
        }, this.bookmarkMs),
      );
    }
    const timeout = Number(url.searchParams.get('timeoutSeconds') || 0);
    if (timeout > 0) w.timers.push(setTimeout(() => this.endWatch(w), timeout * 1000));
    res.on('close', () => this.endWatch(w));
  }

  private endWatch(w: OpenWatch): void {
    for (const t of w.timers) clearTimeout(t);
    this.watches.delete(w);
    if (!w.res.writableEnded) w.res.end();
  }

  private send(res: ServerResponse, type: string, object: unknown): void {
    if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
  }

  private route(path: string) {
    const core = /^\/api\/v1(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?$/.exec(path);
    if (core) {
      let [, namespace, collection, name] = core;
      // /api/v1/namespaces and /api/v1/namespaces/<name> address Namespaces themselves.
      if (!collection && namespace) [collection, namespace] = ['namespaces', undefined];
      const kind = Object.entries(CORE_COLLECTIONS).find(([, c]) => c === collection)?.[0];
      return kind ? { kind, collection: collection as string, namespace, name, apiVersion: 'v1' } : undefined;
    }
    const custom = /^\/apis\/([^/]+)\/([^/]+)(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?$/.exec(path);
    if (custom) {
      const [, group, version, namespace, collection, name] = custom;
      if (!this.servedGroups.has(`${group}/${version}`)) return undefined;
      const kinds: Record<string, string> = {
        peerauthentications: 'PeerAuthentication',
        authorizationpolicies: 'AuthorizationPolicy',
        destinationrules: 'DestinationRule',
        serviceentries: 'ServiceEntry',
        sidecars: 'Sidecar',
        virtualservices: 'VirtualService',
        // Kubernetes Gateways (gateway.networking.k8s.io): the only Gateways the tests hold.
        gateways: 'Gateway',
        deployments: 'Deployment',
        validatingwebhookconfigurations: 'ValidatingWebhookConfiguration',
        mutatingwebhookconfigurations: 'MutatingWebhookConfiguration',
      };
      const kind = kinds[collection as string];
      return kind
        ? { kind, collection: collection as string, namespace, name, apiVersion: `${group}/${version}` }
        : undefined;
    }
    return undefined;
  }

  private status(res: ServerResponse, code: number, reason: string, message: string): void {
    this.json(res, code, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      code,
    });
  }

  private json(res: ServerResponse, code: number, body: unknown): void {
    const text = JSON.stringify(body);
    this.keptBodies?.push(text);
    const late = this.lateAnswers.get(res);
    if (late) {
      void this.answerLate(res, late, code, text);
      return;
    }
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(text);
  }

  private async answerLate(res: ServerResponse, late: Fault, code: number, text: string): Promise<void> {
    if (late.dropAnswer) {
      res.socket?.destroy();
      return;
    }
    if (late.answerDelayMs) await new Promise((r) => setTimeout(r, late.answerDelayMs));
    await late.answerUntil;
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(text);
  }
}
