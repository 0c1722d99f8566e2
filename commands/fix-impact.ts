// What `fix` says about a change's effect on calls before anything is written, and when --apply needs
// --accept-breaking: the cases a Slack approver confirms in the Approve dialog (calls broken, error
// findings opened, an impact unknown), and any other impact that could not be computed.
import type { PlanImpact } from '../src/impact/plan-impact.js';

const calls = (n: number) => `${n} call${n === 1 ? '' : 's'}`;
const errors = (n: number) => `${n} error finding${n === 1 ? '' : 's'}`;

/** "Impact: repairs 2 calls (…), breaks 0", with a warning line first when the change breaks something. */
export function impactLines(effect: PlanImpact): string {
  const warning =
    effect.breaks > 0
      ? `WARNING: this change breaks ${calls(effect.breaks)}.\n`
      : effect.opensErrors > 0
        ? `WARNING: this change opens ${errors(effect.opensErrors)}.\n`
        : effect.unknown
          ? 'WARNING: what this change breaks is unknown: the cluster could not be read whole.\n'
          : '';
  return `${warning}${effect.lines.map((l) => `Impact: ${l}`).join('\n')}\n`;
}

/**
 * Why --apply refuses this change without --accept-breaking, or undefined when it may go ahead. An
 * impact not computed is refused too ("breaks 0" cannot be shown, so nobody has seen what it breaks),
 * except for a change that acts when workloads restart (adding a sidecar): as in Slack, its note is shown
 * and it goes ahead.
 */
export function needsAcceptance(effect: PlanImpact): string | undefined {
  if (effect.breaks > 0) return `this change breaks ${calls(effect.breaks)}`;
  if (effect.opensErrors > 0) return `this change opens ${errors(effect.opensErrors)}`;
  if (!effect.computed && !effect.onRestart) return 'its impact on calls could not be computed';
  return undefined;
}
