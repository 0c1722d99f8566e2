// What `fix` says about a change's effect on calls before anything is written, and when --apply needs
// --accept-breaking: the cases a Slack approver confirms in the Approve dialog (calls broken, error
// findings opened, an impact unknown), and any other impact that could not be computed.
import { breakage, breakagePhrase, type PlanImpact } from '../src/impact/plan-impact.js';

/** "Impact: repairs 2 calls (…), breaks 0", with a warning line first when the change breaks something. */
export function impactLines(effect: PlanImpact): string {
  const phrase = breakagePhrase(effect);
  const why = breakage(effect) === 'unknown' ? ': the cluster could not be read whole' : '';
  const warning = phrase ? `WARNING: ${phrase}${why}.\n` : '';
  return `${warning}${effect.lines.map((l) => `Impact: ${l}`).join('\n')}\n`;
}

/**
 * Why --apply refuses this change without --accept-breaking, or undefined when it may go ahead. An
 * impact not computed is refused too ("breaks 0" cannot be shown, so nobody has seen what it breaks),
 * except for a change that acts when workloads restart (adding a sidecar): as in Slack, its note is shown
 * and it goes ahead.
 */
export function needsAcceptance(effect: PlanImpact): string | undefined {
  if (breakage(effect) === 'calls' || breakage(effect) === 'errors') return breakagePhrase(effect);
  if (!effect.computed && !effect.onRestart) return 'its impact on calls could not be computed';
  return undefined;
}
