// Remediation plans offered in recent messages, by id, so a button click finds its plan. Bounded: the
// oldest are forgotten first (a click on a forgotten plan asks for a fresh check).
import type { RemediationPlan } from '../remediation/plans.js';

export class PlanCache {
  private readonly plans = new Map<string, RemediationPlan>();

  constructor(private readonly capacity = 2000) {}

  remember(plans: Iterable<RemediationPlan>): void {
    for (const plan of plans) {
      this.plans.delete(plan.id);
      this.plans.set(plan.id, plan);
      if (this.plans.size > this.capacity) this.plans.delete(this.plans.keys().next().value as string);
    }
  }

  get(id: string): RemediationPlan | undefined {
    return this.plans.get(id);
  }

  all(): RemediationPlan[] {
    return [...this.plans.values()];
  }
}
