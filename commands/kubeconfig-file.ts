import { KubeConfig } from '@kubernetes/client-node';

/** The kubeconfig of --kubeconfig, or undefined for the default lookup. */
export function kubeConfigFrom(path: string | undefined): KubeConfig | undefined {
  if (!path) return undefined;
  const config = new KubeConfig();
  config.loadFromFile(path);
  return config;
}
