// Readiness of the cluster side: one cheap LIST (limit 1) proves the API server answers and the
// credentials work. With manifests (-f) there is no cluster to reach.

import { KubeConfig } from '@kubernetes/client-node';
import { createKubeApi } from '../snapshot/live/kube-api.js';
import type { ReadinessCheck } from './ops-server.js';

export function clusterProbe(
  files: readonly string[] | undefined,
  context?: string,
  kubeconfigPath?: string,
): ReadinessCheck {
  if (files?.length) return async () => ({ ok: true, detail: `reading manifests (${files.join(', ')})` });
  let kubeConfig: KubeConfig | undefined;
  if (kubeconfigPath) {
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);
  }
  const api = createKubeApi({ context, kubeConfig, requestTimeoutMs: 3000 });
  return async () => {
    await api.core.listNamespace({ limit: 1 }, api.callOptions);
    return { ok: true, detail: `API server ${api.server} answers` };
  };
}
