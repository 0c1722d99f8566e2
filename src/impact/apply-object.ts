// The snapshot as it would be after one object is written: what a fix request (or its rollback)
// changes, from the dry run's answer, so its impact can be shown before anyone approves.
import { buildSnapshot } from '../snapshot/build-snapshot.js';
import type { MeshSnapshot } from '../snapshot/types.js';

type ObjectMeta = { name?: string; namespace?: string };

/**
 * `snapshot` with `object` in place of the object of the same kind, namespace and name (or added).
 * Undefined for kinds whose change shows only later (a namespace label or a restart acts when pods are
 * re-created): their impact is not computed, and the caller says so.
 */
export function snapshotWithObject(
  snapshot: MeshSnapshot,
  object: Record<string, unknown>,
): MeshSnapshot | undefined {
  const meta = (object.metadata ?? {}) as ObjectMeta;
  const name = meta.name;
  const namespace = meta.namespace ?? 'default';
  const same = (m: { name: string; namespace: string }) => m.name === name && m.namespace === namespace;
  const piece = buildSnapshot([{ object, lineOf: () => 0 }]);
  switch (object.kind) {
    case 'PeerAuthentication':
      return {
        ...snapshot,
        peerAuthentications: [
          ...snapshot.peerAuthentications.filter((p) => !same(p.meta)),
          ...piece.peerAuthentications,
        ],
      };
    case 'DestinationRule':
      return {
        ...snapshot,
        destinationRules: [
          ...snapshot.destinationRules.filter((d) => !same(d.meta)),
          ...piece.destinationRules,
        ],
      };
    case 'ServiceEntry':
      return {
        ...snapshot,
        serviceEntries: [...snapshot.serviceEntries.filter((e) => !same(e.meta)), ...piece.serviceEntries],
      };
    case 'ConfigMap':
      // The mesh config (`istio` in the root namespace) is the ConfigMap plans change.
      if (name === 'istio' && namespace === snapshot.meshConfig.rootNamespace)
        return { ...snapshot, meshConfig: piece.meshConfig };
      return undefined;
    default:
      return undefined;
  }
}
