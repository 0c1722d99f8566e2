// What a Slack button carries to find its plan: the plan id and a digest of the whole plan. An id names
// one change, but a later check can offer a plan under the same id with other content (the cluster
// changed in between: another restart list, another selector). With the digest, a click on one
// message never opens the plan another message offered.
import { createHash } from 'node:crypto';
import type { RemediationPlan } from './plans.js';

const DIGEST_LENGTH = 12;

export function planKey(plan: RemediationPlan): string {
  const digest = createHash('sha256').update(JSON.stringify(plan)).digest('hex').slice(0, DIGEST_LENGTH);
  return `${plan.id}#${digest}`;
}

/** The plan id a key (or a bare id, as older messages and the change alerts carry) names. */
export function planIdOf(keyOrId: string): string {
  const hash = keyOrId.lastIndexOf('#');
  return hash < 0 ? keyOrId : keyOrId.slice(0, hash);
}
