// Objects managed by Argo CD or Flux: a live patch would be reverted at the next sync, so the change
// belongs in Git as well.
import { toKubeYaml } from './kube-yaml.js';

export function gitOpsManager(
  object:
    | { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } }
    | undefined,
): string | undefined {
  const labels = object?.metadata?.labels ?? {};
  const annotations = object?.metadata?.annotations ?? {};
  if (
    annotations['argocd.argoproj.io/tracking-id'] ||
    labels['argocd.argoproj.io/instance'] ||
    (labels['app.kubernetes.io/instance'] && annotations['argocd.argoproj.io/sync-options'])
  )
    return 'Argo CD';
  if (labels['kustomize.toolkit.fluxcd.io/name'] || labels['helm.toolkit.fluxcd.io/name']) return 'Flux';
  return undefined;
}

export function gitOpsNote(manager: string, change: Record<string, unknown> | undefined): string {
  return `Managed by ${manager}: the live change would be reverted at the next sync. Commit this change to the object's manifest in Git as well:\n${toKubeYaml(change ?? {})}`;
}
