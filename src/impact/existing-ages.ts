// The after side of a change with the ages its objects will have in the cluster. Istio orders policies,
// rules and Sidecars of one scope by creationTimestamp (oldest wins, src/mesh/server-mode.ts
// compareByAge), and the API server keeps an object's timestamp through every update and stamps a new
// one when it is created. So an object the base already holds keeps the base's age, whatever the
// after side says or omits (files of a pull request carry none), and only the objects the change adds
// are the newest, whatever timestamp their files carry. Without this, a base and a pull request read from files tie on age and names decide:
// a new `aa-permissive` would win over an existing `zz-strict`.
import type { MeshSnapshot, ObjectMeta } from '../snapshot/types.js';

type Meta = { readonly meta: ObjectMeta };

// The collections whose order by age decides something (PeerAuthentication, DestinationRule merging,
// VirtualService, Sidecar).
const AGED = ['peerAuthentications', 'destinationRules', 'virtualServices', 'sidecars'] as const;

/** `after` with each object that `before` also holds (same kind, namespace, name) given its age there. */
export function withExistingAges(before: MeshSnapshot, after: MeshSnapshot): MeshSnapshot {
  const aged: Partial<Record<(typeof AGED)[number], Meta[]>> = {};
  for (const key of AGED) {
    const was = new Map<string, ObjectMeta>();
    for (const o of (before[key] ?? []) as readonly Meta[])
      if (!was.has(identity(o.meta))) was.set(identity(o.meta), o.meta);
    const objects = (after[key] ?? []) as readonly Meta[];
    if (objects.length > 0) aged[key] = objects.map((o) => withAge(o, was.get(identity(o.meta))));
  }
  return { ...after, ...aged } as MeshSnapshot;
}

function identity(meta: ObjectMeta): string {
  return `${meta.namespace}\u0000${meta.name}`;
}

function withAge<T extends Meta>(object: T, existing: ObjectMeta | undefined): T {
  const { creationTimestamp, existedBefore, ...meta } = object.meta;
  if (!existing) {
    // Created by the change: the API server stamps it then, whatever timestamp its file carries (an
    // exported object renamed or moved keeps its old one), so it is the newest.
    if (creationTimestamp === undefined && existedBefore === undefined) return object;
    return { ...object, meta };
  }
  const age = existing.creationTimestamp
    ? { creationTimestamp: existing.creationTimestamp }
    : { existedBefore: true as const };
  if (creationTimestamp === age.creationTimestamp && existedBefore === age.existedBefore) return object;
  return { ...object, meta: { ...meta, ...age } };
}
