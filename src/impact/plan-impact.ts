// What a fix (a revert, a rollback) does to who-can-reach-whom, from what its dry run would write or delete:
// shown on the request before anyone approves, and by `mtls-doctor fix` before --apply.
import { blockingGaps, type Diagnosis } from '../engine/diagnose.js';
import { impact } from '../engine/impact.js';
import { breakCount, impactSummaryLines, openedErrors } from '../render/diff-summary.js';
import type { MeshSnapshot } from '../snapshot/types.js';
import { snapshotWith, type Written } from './apply-object.js';

export interface PlanImpact {
  /** False when this kind of change acts only later (restarts, injection labels). */
  readonly computed: boolean;
  /** "repairs 14 calls (legacy/batch → shop/orders:8080, …), breaks 0", then findings. */
  readonly lines: readonly string[];
  readonly breaks: number;
  readonly repairs: number;
  /** Error-level findings the change opens (e.g. an admission webhook the API server can no longer call). */
  readonly opensErrors: number;
  /** Not computed because the view is incomplete: a break could hide in what was not read. */
  readonly unknown?: true;
  /** Not computed because the change acts when workloads restart (an injection label, a pod template). */
  readonly onRestart?: true;
}

export function planImpact(
  snapshot: MeshSnapshot,
  written: Written,
  options: { readonly beforeDiagnosis?: Diagnosis; readonly now?: Date } = {},
): PlanImpact {
  // "Breaks 0" from a view missing pods or policies would be false comfort on the approval screen.
  const gaps = blockingGaps(snapshot);
  if (gaps.length > 0) {
    const named = gaps.slice(0, 3).map((g) => `${g.source} (${g.reason})`);
    const more = gaps.length > 3 ? ` and ${gaps.length - 3} more` : '';
    return notComputed(
      `the view it is computed on is incomplete: ${named.join('; ')}${more} could not be read`,
      {
        unknown: true,
      },
    );
  }
  let after: MeshSnapshot | undefined;
  try {
    after = snapshotWith(snapshot, written);
  } catch (error) {
    return notComputed(`the written object could not be modelled: ${(error as Error).message}`);
  }
  if (!after)
    return notComputed('this change acts when workloads restart, so it is not computed here', {
      onRestart: true,
    });
  const result = impact(snapshot, after, options);
  if (result.tooBroad) return notComputed(result.tooBroad.message);
  return {
    computed: true,
    lines: impactSummaryLines(result, { examples: 3 }),
    // A call the change adds that fails (a Service it re-creates) stops an approval as a break does.
    breaks: breakCount(result),
    repairs: result.counts.repaired,
    opensErrors: openedErrors(result).length,
  };
}

const counted = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/**
 * What the change breaks, said first wherever it is shown (the Slack request, `fix`): calls, else the
 * error findings it opens, else that it is unknown; undefined when it breaks nothing known.
 */
export function breakage(effect: PlanImpact): 'calls' | 'errors' | 'unknown' | undefined {
  if (effect.breaks > 0) return 'calls';
  if (effect.opensErrors > 0) return 'errors';
  return effect.unknown ? 'unknown' : undefined;
}

/** "this change breaks 2 calls", "this change opens 1 error finding", "what this change breaks is unknown". */
export function breakagePhrase(effect: PlanImpact): string | undefined {
  switch (breakage(effect)) {
    case 'calls':
      return `this change breaks ${counted(effect.breaks, 'call')}`;
    case 'errors':
      return `this change opens ${counted(effect.opensErrors, 'error finding')}`;
    case 'unknown':
      return 'what this change breaks is unknown';
    default:
      return undefined;
  }
}

/** An impact that could not be worked out, and why (said in the request, never hidden). */
export function notComputed(
  reason: string,
  options: { readonly unknown?: true; readonly onRestart?: true } = {},
): PlanImpact {
  return {
    computed: false,
    lines: [`impact on calls not computed: ${reason}`],
    breaks: 0,
    repairs: 0,
    opensErrors: 0,
    ...options,
  };
}
