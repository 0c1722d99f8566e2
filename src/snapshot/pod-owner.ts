// The workload a running pod belongs to, from its owner reference (a Deployment through its
// ReplicaSet's pod-template-hash, a CronJob through its Job's label), and whether it runs a sidecar:
// what the snapshot groups pods by, and what the change alerts compare a pod with its siblings on.
import type { RawObject } from './read-manifests.js';
import type { Labels, Workload } from './types.js';

export interface PodMeta {
  readonly name: string;
  readonly labels: Labels;
  readonly ownerReferences?: readonly { readonly kind: string; readonly name: string }[] | null;
}

export function podOwner(pod: PodMeta): { kind: Workload['kind']; name: string } {
  const owner = pod.ownerReferences?.[0];
  if (!owner) return { kind: 'Pod', name: pod.name };
  const hash = pod.labels['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) {
    return { kind: 'Deployment', name: owner.name.slice(0, -(hash.length + 1)) };
  }
  if (owner.kind === 'Job' && /-\d+$/.test(owner.name) && pod.labels['batch.kubernetes.io/cronjob-name']) {
    return { kind: 'CronJob', name: pod.labels['batch.kubernetes.io/cronjob-name'] };
  }
  const known = ['StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'] as const;
  const kind = known.find((k) => k === owner.kind);
  return kind ? { kind, name: owner.name } : { kind: 'Pod', name: pod.name };
}

/**
 * A pod whose containers have all ended (a completed Job's pod, an evicted pod): it makes no calls and
 * serves none, so it is not part of the mesh, whether read from a cluster or from a dump of one.
 */
export function podIsFinished(object: { readonly status?: unknown }): boolean {
  const phase = (object.status as { phase?: unknown } | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** An istio-proxy container, as a regular container or a native sidecar (an init container). */
export function podHasSidecar(spec: {
  readonly containers?: readonly { readonly name?: string }[] | null;
  readonly initContainers?: readonly { readonly name?: string }[] | null;
}): boolean {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])].some((c) => c.name === 'istio-proxy');
}

/** A Pod as the API gave it (the live model's stored object): where it is, its owner and its sidecar. */
export function rawPod(raw: RawObject): {
  namespace: string;
  labels: Labels;
  owner: ReturnType<typeof podOwner>;
  sidecar: boolean;
} {
  const metadata = (raw.object.metadata ?? {}) as Partial<PodMeta> & { namespace?: string };
  const labels = metadata.labels ?? {};
  return {
    namespace: metadata.namespace ?? '',
    labels,
    owner: podOwner({ name: metadata.name ?? '', labels, ownerReferences: metadata.ownerReferences }),
    sidecar: podHasSidecar((raw.object.spec ?? {}) as Parameters<typeof podHasSidecar>[0]),
  };
}
