// impact() (which compares only the pairs a change can reach) against the truth: the whole matrix of
// both sides, compared pair by pair. Both give lines `from -> to before-reason→after-reason`, sorted
// (`new→reason` for a pair only the after side has that fails).
import { impact } from '../../src/engine/impact.js';
import { buildMatrix } from '../../src/engine/matrix.js';
import { ResolvedMesh } from '../../src/mesh/resolve.js';
import type { MeshSnapshot } from '../../src/snapshot/types.js';

export function bruteForce(before: MeshSnapshot, after: MeshSnapshot) {
  const index = (s: MeshSnapshot) =>
    new Map(buildMatrix(new ResolvedMesh(s), undefined).pairs.map((p) => [`${p.from} -> ${p.to}`, p]));
  const old = index(before);
  const broken: string[] = [];
  const repaired: string[] = [];
  const newFailing: string[] = [];
  for (const [key, pair] of index(after)) {
    const was = old.get(key);
    if (!was && pair.outcome === 'fail') newFailing.push(`${key} new→${pair.reason}`);
    if (!was || was.outcome === pair.outcome) continue;
    (pair.outcome === 'fail' ? broken : repaired).push(`${key} ${was.reason}→${pair.reason}`);
  }
  return { broken: broken.sort(), repaired: repaired.sort(), newFailing: newFailing.sort() };
}

/** The pairs of a scoped() answer, as bruteForce() gives them. */
export function pairsOf({ broken, repaired, newFailing }: ReturnType<typeof scoped>) {
  return { broken, repaired, newFailing };
}

export function scoped(before: MeshSnapshot, after: MeshSnapshot) {
  const result = impact(before, after);
  const show = (list: typeof result.broken) =>
    list.map((p) => `${p.from} -> ${p.to} ${p.before.reason}→${p.reason}`).sort();
  return {
    broken: show(result.broken),
    repaired: show(result.repaired),
    newFailing: result.newFailing.map((p) => `${p.from} -> ${p.to} new→${p.reason}`).sort(),
    compared: result.pairsCompared,
  };
}
