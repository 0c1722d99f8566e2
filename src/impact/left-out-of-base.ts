// A diff's base is what was there before the change. An object in it that the analysis cannot read
// (a mode the CRD's enum rejects) is left out of the base rather than stopping the diff at a
// working-tree line that may be valid: the -f side stays strict. Each one is named where it is in
// the base, and it is no gap: everything the change holds was still checked.
import type { LeftOutObjects } from '../snapshot/invalid-object.js';

/** `base at HEAD: mesh/pa.yaml:4: PeerAuthentication b/default: spec.mtls.mode: … — …`, one per object. */
export function leftOutOfBaseNotes(leftOut: LeftOutObjects, base: string): string[] {
  return leftOut
    .errors()
    .map(
      (e) =>
        `${base}: ${e.file}:${e.line}: ${e.detail} — not a valid object, so the base is compared without it (its version after the change, if any, reads as added)`,
    );
}
