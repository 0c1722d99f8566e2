// Plans that repair calls only when applied together: each changes one object, and calls balanced
// over several backends keep failing while any of those backends still rejects them. Each plan says
// so in its title and risk, so that none is taken for the fix alone.
import type { RemediationPlan } from './plans.js';

export function appliedTogether(plans: readonly RemediationPlan[]): RemediationPlan[] {
  if (plans.length < 2) return [...plans];
  const named = plans.map(
    (p) => `${p.target.kind} ${p.target.namespace ? `${p.target.namespace}/` : ''}${p.target.name}`,
  );
  return plans.map((plan, i) => {
    const others = named.filter((_, j) => j !== i).join(', ');
    return {
      ...plan,
      title: `${plan.title} (${i + 1} of ${plans.length}: apply with the change to ${others})`,
      risk: `Alone this repairs no call: the same calls also reach the backends the change to ${others} is for; apply all ${plans.length} changes. ${plan.risk}`,
    };
  });
}
