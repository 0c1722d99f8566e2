// Impact in a few short lines, for a Slack message or a plan's preview:
// "repairs 14 calls (legacy/batch → shop/orders:8080, …), breaks 0".
import { blockingGaps } from '../engine/diagnose.js';
import type { ImpactResult, NewPair } from '../engine/impact.js';
import type { Gap } from '../snapshot/types.js';
import { distinctGaps } from './gap-text.js';

const calls = (n: number) => `${n} call${n === 1 ? '' : 's'}`;

function examples(pairs: readonly NewPair[], count: number, max: number): string {
  if (pairs.length === 0 || max === 0) return '';
  const shown = pairs.slice(0, max).map((p) => `${p.from} → ${p.to}`);
  return ` (${shown.join(', ')}${count > shown.length ? ', …' : ''})`;
}

/** One line for pairs, one for findings when any opened or resolved; `tooBroad` says so instead. */
export function impactSummaryLines(result: ImpactResult, options: { examples?: number } = {}): string[] {
  const max = options.examples ?? 2;
  if (result.tooBroad) return [`impact not enumerated: ${result.tooBroad.message}`];
  const lines = [
    `repairs ${calls(result.counts.repaired)}${examples(result.repaired, result.counts.repaired, max)}, breaks ${result.counts.broken}${examples(result.broken, result.counts.broken, max)}${newFailingText(result, max)}`,
  ];
  const { opened, resolved } = result.findings;
  if (opened.length + resolved.length > 0) {
    // What opens matters most when no call between workloads breaks (a webhook port made STRICT).
    const codes = openedErrorCodes(result);
    const named = codes.length > 0 ? `: ${codes.map((code) => `error ${code}`).join(', ')}` : '';
    lines.push(`findings: ${resolved.length} resolved, ${opened.length} opened${named}`);
  }
  return lines;
}

/**
 * ", 2 new calls fail from the start (legacy/batch → shop/orders:80, …)", with how many of them fail
 * as their client's calls already did (not counted as breaks), or nothing.
 */
export function newFailingText(result: ImpactResult, max = 2): string {
  const n = result.counts.newFailing;
  if (n === 0) return '';
  const known = n - newFailingNews(result);
  const note =
    known > 0 ? `; ${known} of them as the client's other calls already fail, not counted as breaks` : '';
  return `, ${n} new ${n === 1 ? 'call fails' : 'calls fail'} from the start${examples(result.newFailing, n, max)}${note}`;
}

/**
 * Calls the change makes fail, which stop a CI gate: broken ones, and new ones that fail as news: the
 * client is one the change adds (it cannot call what it will call), or the failure opens an error
 * finding. An existing client failing towards a new service port as it already fails towards others
 * is listed, not counted: that failure was there all along (its finding is only reworded).
 */
export function breakCount(result: ImpactResult): number {
  return result.counts.broken + newFailingNews(result);
}

function newFailingNews(result: ImpactResult): number {
  // Past the listed pairs the rest is unknown: all of them count.
  if (result.newFailing.length < result.counts.newFailing) return result.counts.newFailing;
  const opened = new Set(openedErrorCodes(result));
  return result.newFailing.filter((p) => p.newClient || opened.has(p.reason)).length;
}

/** The error-level findings a change opens: breakage that is not a call between workloads. */
export function openedErrors(result: ImpactResult): ImpactResult['findings']['opened'] {
  return result.findings.opened.filter((f) => f.severity === 'error');
}

/** Their codes, each once. */
export function openedErrorCodes(result: ImpactResult): string[] {
  return [...new Set(openedErrors(result).map((f) => f.code))];
}

/** What either side could not read (each once): "breaks nothing" says nothing about it. */
export function impactGaps(result: Pick<ImpactResult, 'before' | 'after'>): Gap[] {
  return distinctGaps(result.before.gaps, result.after.gaps);
}

/** The blocking ones: a comparison with any of them is incomplete. */
export function blockingImpactGaps(result: Pick<ImpactResult, 'before' | 'after'>): Gap[] {
  return distinctGaps(blockingGaps(result.before), blockingGaps(result.after));
}
