// Plans that repair calls only when applied together: each changes one object, and calls balanced
// over several backends keep failing while any of those backends still rejects them. Each plan says
// so in its title (first, so a cut button label keeps it) and risk, and has an id of its own: the same
// change offered alone elsewhere (where it does repair calls) is another plan with another promise.
import { createHash } from 'node:crypto';
import type { RemediationPlan } from './plans.js';

export function appliedTogether(plans: readonly RemediationPlan[]): RemediationPlan[] {
  if (plans.length < 2) return [...plans];
  const named = plans.map(
    (p) => `${p.target.kind} ${p.target.namespace ? `${p.target.namespace}/` : ''}${p.target.name}`,
  );
  const set = createHash('sha256')
    .update(plans.map((p) => p.id).join('\n'))
    .digest('hex')
    .slice(0, 8);
  return plans.map((plan, i) => {
    const others = named.filter((_, j) => j !== i).join(', ');
    return {
      ...plan,
      id: `${plan.id}:together-${set}`,
      title: `(${i + 1} of ${plans.length}) ${plan.title}, with the change to ${others}`,
      risk: `Alone this repairs no call: the same calls also reach the backends the change to ${others} is for; apply all ${plans.length} changes. ${plan.risk}`,
    };
  });
}
