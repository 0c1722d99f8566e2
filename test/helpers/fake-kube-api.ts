// A Kubernetes API server on loopback, answering like the real one: List objects with `continue`
// tokens honouring `limit`, Status objects for errors, optional delays and transient failures.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly authorization?: string;
}

export interface Fault {
  readonly status?: number;
  readonly reason?: string;
  readonly message?: string;
  /** Fail only this many times, then answer normally. */
  readonly times?: number;
  readonly delayMs?: number;
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

export class FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  private readonly objects: K8sObject[] = [];
  private readonly faults = new Map<string, Fault & { remaining: number }>();
  private readonly servedGroups = new Set([
    'security.istio.io/v1',
    'networking.istio.io/v1',
    'security.istio.io/v1beta1',
    'networking.istio.io/v1beta1',
  ]);
  private server?: Server;

  add(...objects: K8sObject[]): this {
    this.objects.push(...objects);
    return this;
  }

  /** Make requests whose path starts with `pathPrefix` fail (or be slow). */
  fault(pathPrefix: string, fault: Fault): this {
    this.faults.set(pathPrefix, { ...fault, remaining: fault.times ?? Number.POSITIVE_INFINITY });
    return this;
  }

  /** Stop serving an API group version (as if the CRD were not installed in that version). */
  unserve(groupVersion: string): this {
    this.servedGroups.delete(groupVersion);
    return this;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
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
    });
    for (const [prefix, fault] of this.faults) {
      if (!url.pathname.startsWith(prefix) || fault.remaining <= 0) continue;
      fault.remaining--;
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (fault.status)
        return this.status(
          res,
          fault.status,
          fault.reason ?? 'InternalError',
          fault.message ?? 'injected fault',
        );
    }
    const route = this.route(url.pathname);
    if (!route)
      return this.status(
        res,
        404,
        'NotFound',
        `the server could not find the requested resource (${url.pathname})`,
      );
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
      metadata: { resourceVersion: '12345', ...(next ? { continue: next } : {}) },
      items: pageItems,
    });
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
    const custom = /^\/apis\/([^/]+)\/([^/]+)(?:\/namespaces\/([^/]+))?\/([a-z]+)$/.exec(path);
    if (custom) {
      const [, group, version, namespace, collection] = custom;
      if (!this.servedGroups.has(`${group}/${version}`)) return undefined;
      const kind = {
        peerauthentications: 'PeerAuthentication',
        destinationrules: 'DestinationRule',
        serviceentries: 'ServiceEntry',
      }[collection as string];
      return kind
        ? {
            kind,
            collection: collection as string,
            namespace,
            name: undefined,
            apiVersion: `${group}/${version}`,
          }
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
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}
