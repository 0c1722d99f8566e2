// The one place that talks to the Kubernetes API: plain-JSON GETs for the reads (get-json.ts) and
// client-node's generated clients for the rest, with a timeout and a request counter on every call (so
// `check -v` and the JSON summary can say how many requests it made).
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { of } from '@kubernetes/client-node/dist/gen/rxjsStub.js';
import { ClusterUnavailableError, KubeConfigError } from '../errors.js';
import { UnexpectedAnswerError } from './api-errors.js';
import { boundCredentials } from './credential-deadline.js';
import { type GetJson, jsonGetter, type Query } from './get-json.js';

export interface KubeApiOptions {
  /** kubeconfig context; default: the current one (or the in-cluster service account). */
  readonly context?: string;
  /** A kubeconfig to use instead of $KUBECONFIG / ~/.kube/config (tests). */
  readonly kubeConfig?: KubeConfig;
  readonly requestTimeoutMs?: number;
}

export interface KubeApi {
  /** GET of an API path (`/api/v1/pods`, `/apis/<group>/<version>/<plural>`) as plain JSON: the reads. */
  readonly getJson: GetJson;
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
  /** Generic object access (read, patch, create) for remediation. */
  readonly objects: KubernetesObjectApi;
  /** Per-call options: the timeout and the counter. */
  readonly callOptions: object;
  readonly server: string;
  requestCount(): number;
}

export { ClusterUnavailableError, KubeConfigError };

/**
 * The kubeconfig in `path`; an unreadable or malformed file is bad usage naming it. Its credentials
 * are resolved within each request's abort signal (createKubeApi adds its request timeout).
 */
export function kubeConfigFromFile(path: string): KubeConfig {
  const config = new KubeConfig();
  try {
    config.loadFromFile(path);
  } catch (error) {
    throw new KubeConfigError(`cannot read kubeconfig ${path}: ${(error as Error).message}`);
  }
  return boundCredentials(config);
}

/** Switches to `context` (none: the current one); a context the kubeconfig lacks is bad usage. */
export function useContext(config: KubeConfig, context: string | undefined): void {
  if (!context) return;
  if (!config.getContextObject(context)) {
    const known = config.getContexts().map((c) => c.name);
    throw new KubeConfigError(
      `kubeconfig has no context "${context}"${known.length ? ` (contexts: ${known.join(', ')})` : ''}`,
    );
  }
  config.setCurrentContext(context);
}

export function createKubeApi(options: KubeApiOptions = {}): KubeApi {
  const config = options.kubeConfig ?? loadKubeConfig();
  useContext(config, options.context);
  const cluster = config.getCurrentCluster();
  if (!cluster) {
    throw new ClusterUnavailableError(
      'no Kubernetes cluster configured (no kubeconfig and not running in a pod): set KUBECONFIG or --kubeconfig, or pass manifests with -f',
    );
  }
  let requests = 0;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  // An exec credential plugin that never answers fails the request in time, like a silent server.
  boundCredentials(config, timeoutMs);
  // The object-parameter API takes observable middleware (client-node's own small Observable).
  const middleware = {
    pre: (context: RequestContext) => {
      requests++;
      context.setSignal(AbortSignal.timeout(timeoutMs));
      return of(context);
    },
    // client-node hands a text/html body to the caller as a string (a "list" without items); a proxy
    // or a login page in front of the API server answers that way, so refuse it here, once for all.
    post: (context: ResponseContext) => {
      const type = String(context.headers['content-type'] ?? '');
      const ok = context.httpStatusCode >= 200 && context.httpStatusCode < 300;
      if (ok && !/\bjson\b/i.test(type.split(';')[0] ?? '')) {
        throw new UnexpectedAnswerError(type.split(';')[0]?.trim() ?? '');
      }
      return of(context);
    },
  };
  const getJson = jsonGetter(config, cluster.server, timeoutMs);
  return {
    getJson: (path: string, query?: Query) => {
      requests++;
      return getJson(path, query);
    },
    core: config.makeApiClient(CoreV1Api),
    custom: config.makeApiClient(CustomObjectsApi),
    objects: KubernetesObjectApi.makeApiClient(config),
    callOptions: { middleware: [middleware], middlewareMergeStrategy: 'append' },
    server: cluster.server,
    requestCount: () => requests,
  };
}

export function loadKubeConfig(): KubeConfig {
  const config = new KubeConfig();
  try {
    // KUBECONFIG, then ~/.kube/config, then the in-cluster service account.
    config.loadFromDefault();
  } catch (error) {
    const from = process.env.KUBECONFIG ? ` from KUBECONFIG=${process.env.KUBECONFIG}` : '';
    throw new KubeConfigError(`cannot load kubeconfig${from}: ${(error as Error).message}`);
  }
  // With nothing found, client-node falls back to http://localhost:8080: that is no configuration.
  if (config.getCurrentCluster()?.server === 'http://localhost:8080' && config.getContexts().length <= 1) {
    const named = config.getCurrentContext();
    if (named === 'loaded-context' || !named) {
      throw new ClusterUnavailableError(
        'no Kubernetes cluster configured (no kubeconfig and not running in a pod): set KUBECONFIG or --kubeconfig, or pass manifests with -f',
      );
    }
  }
  return boundCredentials(config);
}
