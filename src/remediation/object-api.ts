// The object API that `fix` and rollback use: every request (discovery, GET, PATCH, POST) aborted after
// the timeout, so a hanging API server ends in a clear error instead of a command that never returns.
import {
  type Configuration,
  type KubeConfig,
  KubernetesObjectApi,
  type RequestContext,
} from '@kubernetes/client-node';
import {
  ClusterUnavailableError,
  kubeConfigFromFile,
  loadKubeConfig,
  useContext,
} from '../snapshot/live/kube-api.js';

export interface RemediationApiOptions {
  readonly kubeconfigPath?: string;
  readonly context?: string;
  readonly timeoutMs: number;
}

export function remediationApi(options: RemediationApiOptions): KubernetesObjectApi {
  // The same lookup (and the same messages) as the reads: the file given, else KUBECONFIG,
  // ~/.kube/config, in-cluster.
  const config = options.kubeconfigPath ? kubeConfigFromFile(options.kubeconfigPath) : loadKubeConfig();
  useContext(config, options.context);
  const cluster = config.getCurrentCluster();
  // client-node falls back to http://localhost:8080 when nothing is configured: that is no cluster.
  if (!cluster || (cluster.server === 'http://localhost:8080' && config.getContexts().length <= 1)) {
    throw new ClusterUnavailableError(
      'no Kubernetes cluster configured (no kubeconfig and not running in a pod): set KUBECONFIG or --kubeconfig',
    );
  }
  const timeoutMs = options.timeoutMs;
  class TimedObjectApi extends KubernetesObjectApi {
    useNamespaceOf(kc: KubeConfig): void {
      this.setDefaultNamespace(kc);
    }
    protected override requestPromise<T extends import('@kubernetes/client-node').KubernetesObject>(
      context: RequestContext,
      type?: string,
      requestOptions?: Configuration,
    ): Promise<T> {
      context.setSignal(AbortSignal.timeout(timeoutMs));
      return super.requestPromise<T>(context, type, requestOptions);
    }
  }
  const api = config.makeApiClient(TimedObjectApi);
  api.useNamespaceOf(config);
  return api;
}
