// One digest: diagnose, compute the posture, compare with the last stored one, store this one.
import { diagnose } from '../engine/diagnose.js';
import type { Digest } from '../render/digest.js';
import type { MeshSnapshot } from '../snapshot/types.js';
import type { StateStore } from '../store/sqlite-store.js';
import { computePosture, diffPosture } from './posture.js';

/** The whole mesh's digest, or one namespace's (compared with that namespace's last digest only). */
export function buildDigest(
  snapshot: MeshSnapshot,
  now: Date,
  store?: StateStore,
  namespace?: string,
): Digest {
  const diagnosis = diagnose(snapshot, { now });
  const posture = computePosture(diagnosis.mesh, diagnosis.findings, now, namespace);
  const scope = namespace ? `namespace:${namespace}` : 'mesh';
  const previous = store?.latestPosture(scope);
  const changes = store
    ? diffPosture(previous, posture)
    : [{ what: 'no state store given (--state): changes are not tracked' }];
  store?.savePosture(scope, posture);
  return { posture, previousAt: previous?.takenAt, changes };
}
