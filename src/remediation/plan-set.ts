// Plans that repair calls only when applied together: each changes one object, and calls balanced
// over several backends keep failing while any of those backends still rejects them. Each plan says
// so in its title (first, so a cut button label keeps it) and risk, and has an id of its own: the same
// change offered alone elsewhere (where it does repair calls) is another plan with another promise.
import { createHash } from 'node:crypto';
import { formatRef } from '../snapshot/types.js';
import type { RemediationPlan } from './plans.js';

export function appliedTogether(plans: readonly RemediationPlan[]): RemediationPlan[] {
  if (plans.length < 2) return [...plans];
  const named = plans.map((p) => formatRef(p.target));
  const set = createHash('sha256')
    .update(plans.map((p) => p.id).join('\n'))
    .digest('hex')
    .slice(0, 8);
  const ids = plans.map((p) => `${p.id}:together-${set}`);
  return plans.map((plan, i) => {
    const others = named.filter((_, j) => j !== i).join(', ');
    return {
      ...plan,
      id: ids[i] as string,
      appliedWith: ids.filter((_, j) => j !== i),
      title: `(${i + 1} of ${plans.length}) ${plan.title}, with the change to ${others}`,
      risk: `Alone this repairs no call: the same calls also reach the backends the change to ${others} is for; apply all ${plans.length} changes. ${plan.risk}`,
    };
  });
}

/**
 * The plans that repair calls, one per key: a call needs the plan of each of its backends (`planFor`
 * gives a backend's key and how to make its plan; undefined for a backend that does not fail it). A
 * call whose backends need one plan gets it alone; several, marked as applied together; none where a
 * backend has no plan (that backend keeps rejecting the call).
 */
export function plansRepairingEach<B>(
  backendsPerCall: Iterable<readonly B[]>,
  planFor: (
    backend: B,
  ) => { readonly key: string; readonly make: () => RemediationPlan | undefined } | undefined,
): RemediationPlan[] {
  const byKey = new Map<string, RemediationPlan | undefined>();
  const alone = new Set<RemediationPlan>();
  const together = new Set<RemediationPlan>();
  for (const backends of backendsPerCall) {
    const needed = new Set<RemediationPlan | undefined>();
    for (const backend of backends) {
      const wanted = planFor(backend);
      if (!wanted) continue;
      if (!byKey.has(wanted.key)) byKey.set(wanted.key, wanted.make());
      needed.add(byKey.get(wanted.key));
    }
    if (needed.size === 0 || needed.has(undefined)) continue;
    for (const plan of needed) (needed.size > 1 ? together : alone).add(plan as RemediationPlan);
  }
  return [...alone, ...appliedTogether([...together].filter((p) => !alone.has(p)))];
}
