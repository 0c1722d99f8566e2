// "What changed since the last digest": a posture compared with the baseline stored under a scope, and
// stored as the next one. Only a complete read counts: PeerAuthentications that could not be read make
// STRICT namespaces look PERMISSIVE, so a posture with gaps is neither compared (its differences may be
// what could not be read) nor stored (the next digest then compares with the last complete one).
import type { StateStore } from '../store/sqlite-store.js';
import { diffPosture, isComplete, type Posture, type PostureChange } from './posture.js';

export interface Comparison {
  /** When the baseline was taken. */
  readonly previousAt?: string;
  readonly changes: readonly PostureChange[];
  /** Why there was a baseline but no comparison (the read was incomplete); `changes` is then empty. */
  readonly notCompared?: string;
}

export const INCOMPLETE_READ =
  'this read is incomplete, so a difference could be what could not be read rather than a change';

export function compareWithBaseline(
  store: StateStore,
  posture: Posture,
  scope: string,
  options: { readonly save: boolean },
): Comparison {
  const previous = store.latestPosture(scope);
  const complete = isComplete(posture);
  if (options.save && complete) store.savePosture(scope, posture);
  if (previous && !complete)
    return { previousAt: previous.takenAt, changes: [], notCompared: INCOMPLETE_READ };
  return { previousAt: previous?.takenAt, changes: diffPosture(previous, posture) };
}
