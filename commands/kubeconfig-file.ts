import { KubeConfig } from '@kubernetes/client-node';
import { KubeConfigError } from '../src/snapshot/errors.js';

/** The kubeconfig of --kubeconfig, or undefined for the default lookup; an unreadable file is bad usage. */
export function kubeConfigFrom(path: string | undefined): KubeConfig | undefined {
  if (!path) return undefined;
  const config = new KubeConfig();
  try {
    config.loadFromFile(path);
  } catch (error) {
    throw new KubeConfigError(`cannot read kubeconfig ${path}: ${(error as Error).message}`);
  }
  return config;
}
