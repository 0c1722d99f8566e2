// One digest: diagnose, compute the posture, compare with the last stored one, store this one (when
// it was read completely: see baseline.ts).
import { diagnose } from '../engine/diagnose.js';
import type { Digest } from '../render/digest.js';
import type { MeshSnapshot } from '../snapshot/types.js';
import type { StateStore } from '../store/sqlite-store.js';
import { compareWithBaseline, MESH_SCOPE } from './baseline.js';
import { postureOf } from './posture.js';

/** The whole mesh's digest, or one namespace's (compared with that namespace's last digest only). */
export function buildDigest(
  snapshot: MeshSnapshot,
  now: Date,
  store?: StateStore,
  namespace?: string,
): Digest {
  const diagnosis = diagnose(snapshot, { now });
  const posture = postureOf(diagnosis, now, namespace);
  if (!store)
    return { posture, changes: [{ what: 'no state store given (--state): changes are not tracked' }] };
  const scope = namespace ? `namespace:${namespace}` : MESH_SCOPE;
  return { posture, ...compareWithBaseline(store, posture, { read: [scope], save: [scope] }) };
}
