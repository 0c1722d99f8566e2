// A workload a change moves to another namespace (removed from one, added to another under the same
// kind and name) is the same client calling from elsewhere. Its calls are compared with the ones it
// made before, so one that worked and now fails is broken, and one that failed all along is no news.
import { pushTo } from '../mesh/multi-map.js';
import { type Workload, workloadKey } from '../snapshot/types.js';

/** The before-side workload of each moved client, by the client's key after the change. */
export function movedClients(before: readonly Workload[], after: readonly Workload[]): Map<string, Workload> {
  const beforeKeys = new Set(before.map(workloadKey));
  const afterKeys = new Set(after.map(workloadKey));
  const gone = new Map<string, Workload[]>();
  const come = new Map<string, Workload[]>();
  for (const w of before) if (!afterKeys.has(workloadKey(w))) pushTo(gone, kindAndName(w), w);
  for (const w of after) if (!beforeKeys.has(workloadKey(w))) pushTo(come, kindAndName(w), w);
  const moved = new Map<string, Workload>();
  for (const [id, arrived] of come) {
    const [to, ...moreTo] = distinct(arrived);
    const [from, ...moreFrom] = distinct(gone.get(id) ?? []);
    // With several candidates (two namespaces each lose or gain one) which went where is a guess: none.
    if (to && from && moreTo.length === 0 && moreFrom.length === 0) moved.set(workloadKey(to), from);
  }
  return moved;
}

const kindAndName = (w: Workload) => `${w.kind}/${w.meta.name}`;

/** One copy per workload (the model keeps copies of a workload written twice). */
function distinct(list: readonly Workload[]): Workload[] {
  return [...new Map(list.map((w) => [workloadKey(w), w])).values()];
}
