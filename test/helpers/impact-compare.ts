// impact() (which compares only the pairs a change can reach) against the truth: the whole matrix of
// both sides, compared pair by pair. Both give lines `from -> to before-reason→after-reason`, sorted.
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
  for (const [key, pair] of index(after)) {
    const was = old.get(key);
    if (!was || was.outcome === pair.outcome) continue;
    (pair.outcome === 'fail' ? broken : repaired).push(`${key} ${was.reason}→${pair.reason}`);
  }
  return { broken: broken.sort(), repaired: repaired.sort() };
}

export function scoped(before: MeshSnapshot, after: MeshSnapshot) {
  const result = impact(before, after);
  const show = (list: typeof result.broken) =>
    list.map((p) => `${p.from} -> ${p.to} ${p.before.reason}→${p.reason}`).sort();
  return { broken: show(result.broken), repaired: show(result.repaired), compared: result.pairsCompared };
}
