// Remediation plans offered in recent messages, so a button click finds its plan. Bounded: the oldest
// are forgotten first (a click on a forgotten plan asks for a fresh check). Plans are kept by key (id
// and digest, see plan-key.ts): when two checks offer different plans under one id, each message's
// button opens its own. A bare id (the change alerts' buttons) opens a plan only while one plan is
// known under it; two different ones make it ambiguous, and the click asks for a fresh check.
import { planIdOf, planKey } from '../remediation/plan-key.js';
import type { RemediationPlan } from '../remediation/plans.js';

export class PlanCache {
  private readonly plans = new Map<string, RemediationPlan>();
  /** The keys cached under each plan id. */
  private readonly keysById = new Map<string, Set<string>>();

  constructor(private readonly capacity = 2000) {}

  remember(plans: Iterable<RemediationPlan>): void {
    for (const plan of plans) {
      const key = planKey(plan);
      this.plans.delete(key);
      this.plans.set(key, plan);
      let keys = this.keysById.get(plan.id);
      if (!keys) {
        keys = new Set();
        this.keysById.set(plan.id, keys);
      }
      keys.add(key);
      if (this.plans.size > this.capacity) this.forget(this.plans.keys().next().value as string);
    }
  }

  /** The plan a button names: by key, or by bare id when exactly one plan is known under it. */
  get(keyOrId: string): RemediationPlan | undefined {
    const exact = this.plans.get(keyOrId);
    if (exact) return exact;
    if (planIdOf(keyOrId) !== keyOrId) return undefined;
    const keys = this.keysById.get(keyOrId);
    if (keys?.size !== 1) return undefined;
    return this.plans.get([...keys][0] as string);
  }

  all(): RemediationPlan[] {
    return [...this.plans.values()];
  }

  private forget(key: string): void {
    this.plans.delete(key);
    const id = planIdOf(key);
    const keys = this.keysById.get(id);
    keys?.delete(key);
    if (keys?.size === 0) this.keysById.delete(id);
  }
}
