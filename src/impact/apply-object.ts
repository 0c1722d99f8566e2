// The snapshot as it would be after one object is written or deleted: what a fix request, a revert or
// a rollback changes, from the dry run's answer, so its impact can be shown before anyone approves.
import { buildSnapshot } from '../snapshot/build-snapshot.js';
import type { MeshSnapshot, ObjectMeta } from '../snapshot/types.js';

/** What a plan writes: the object as the dry run returned it, or the object it deletes. */
export type Written =
  | { readonly object: Record<string, unknown> }
  | { readonly deleted: { readonly kind: string; readonly namespace?: string; readonly name: string } };

// Kinds that act on calls as soon as they are written, and where the snapshot keeps them.
const COLLECTIONS = {
  PeerAuthentication: 'peerAuthentications',
  AuthorizationPolicy: 'authorizationPolicies',
  DestinationRule: 'destinationRules',
  ServiceEntry: 'serviceEntries',
  Sidecar: 'sidecars',
  VirtualService: 'virtualServices',
  Service: 'services',
} as const satisfies Record<string, keyof MeshSnapshot>;

type Collection = (typeof COLLECTIONS)[keyof typeof COLLECTIONS];

/**
 * `snapshot` with the written object in place of the object of the same kind, namespace and name (or
 * added), or without the deleted one. Undefined for kinds whose change shows only later (a namespace
 * label or a restart acts when pods are re-created): their impact is not computed, and the caller
 * says so.
 */
export function snapshotWith(snapshot: MeshSnapshot, written: Written): MeshSnapshot | undefined {
  const { kind, namespace, name } =
    'object' in written
      ? {
          kind: String(written.object.kind),
          namespace: (written.object.metadata as { namespace?: string } | undefined)?.namespace,
          name: (written.object.metadata as { name?: string } | undefined)?.name,
        }
      : written.deleted;
  const ns = namespace ?? 'default';
  const piece =
    'object' in written ? buildSnapshot([{ object: written.object, lineOf: () => 0 }]) : undefined;
  if (kind === 'ConfigMap') {
    // The mesh config (`istio` in the root namespace) is the ConfigMap plans change.
    if (piece && name === 'istio' && ns === snapshot.meshConfig.rootNamespace)
      return { ...snapshot, meshConfig: piece.meshConfig };
    return undefined;
  }
  if (!(kind in COLLECTIONS)) return undefined;
  const key: Collection = COLLECTIONS[kind as keyof typeof COLLECTIONS];
  const others = ((snapshot[key] ?? []) as readonly { meta: ObjectMeta }[]).filter(
    (o) => !(o.meta.name === name && o.meta.namespace === ns),
  );
  return { ...snapshot, [key]: [...others, ...((piece?.[key] ?? []) as readonly { meta: ObjectMeta }[])] };
}
