// `diff` in a terminal: broken pairs (with what they were and the symptom), repaired pairs, findings
// opened and resolved, the changed objects, and for a what-if the plan that avoids the breakage.
import pc from 'picocolors';
import type { ImpactPair, ImpactResult, NewPair } from '../engine/impact.js';
import { type ChangedObject, changedLabel } from '../impact/changed-objects.js';
import type { ImpactExtras } from './diff-json.js';
import {
  blockingImpactGaps,
  breakCount,
  impactGaps,
  newFailingText,
  openedErrorCodes,
  openedErrors,
} from './diff-summary.js';
import { gapSectionLines } from './gap-text.js';
import { oneLine } from './sanitize.js';

export const TEXT_PAIR_LIMIT = 50;

export function locationLabel(c: ChangedObject): string {
  return c.location ? ` (${c.location.file}:${c.location.line})` : '';
}

function sideText(side: Pick<NewPair, 'outcome' | 'reason' | 'symptom'>): string {
  return side.outcome === 'ok' ? 'ok' : `fail — ${side.reason}: ${side.symptom}`;
}

export function pairLines(p: NewPair | ImpactPair): string[] {
  const moved = 'movedFrom' in p && p.movedFrom ? ` (moved from ${p.movedFrom})` : '';
  return [
    `${p.from}${moved} → ${p.to}`,
    `    before: ${'before' in p ? sideText(p.before) : 'no such call (new in this change)'}`,
    `    after:  ${sideText(p)} (client ${p.client.proxy} ${p.client.tls}, server ${p.server.proxy} ${p.server.mode})`,
  ];
}

export function renderImpactText(
  result: ImpactResult,
  options: { color: boolean; all?: boolean } & ImpactExtras,
): string {
  const c = pc.createColors(options.color);
  const out: string[] = [
    c.bold(`mtls-doctor diff${options.whatIf ? ` — what if ${options.whatIf}` : ''}`),
    '',
  ];
  if (result.tooBroad) out.push(c.magenta(`Not enumerated: ${result.tooBroad.message}`), '');
  const section = (
    title: string,
    pairs: readonly NewPair[],
    count: number,
    paint: (s: string) => string,
    mark: string,
  ) => {
    if (count === 0) return;
    out.push(paint(c.bold(`${title} (${count})`)));
    const shown = pairs.slice(0, options.all ? pairs.length : TEXT_PAIR_LIMIT);
    for (const p of shown) {
      const [head, ...rest] = pairLines(p);
      out.push(`  ${paint(mark)} ${head}`, ...rest.map((l) => `  ${l}`));
    }
    if (count > shown.length) {
      const why =
        pairs.length > shown.length
          ? '--all lists them'
          : 'lists stop at --max-pairs; -o json has the counts';
      out.push(c.dim(`  … and ${count - shown.length} more (${why})`));
    }
    out.push('');
  };
  section('Broken calls', result.broken, result.counts.broken, c.red, '✗');
  section('Repaired calls', result.repaired, result.counts.repaired, c.green, '✓');
  section('New calls that fail', result.newFailing, result.counts.newFailing, c.red, '✗');
  const { opened, resolved } = result.findings;
  if (opened.length > 0) {
    out.push(c.bold(`Findings opened (${opened.length})`));
    for (const f of opened) out.push(`  + ${f.severity} ${f.code}: ${f.message}`);
    out.push('');
  }
  if (resolved.length > 0) {
    out.push(c.bold(`Findings resolved (${resolved.length})`));
    for (const f of resolved) out.push(`  - ${f.severity} ${f.code}: ${f.message}`);
    out.push('');
  }
  const { reworded } = result.findings;
  if (reworded.length > 0) {
    out.push(c.bold(`Findings still open, now reading (${reworded.length})`));
    for (const { after } of reworded) out.push(`  ~ ${after.severity} ${after.code}: ${after.message}`);
    out.push('');
  }
  if (result.changed.length > 0) {
    out.push(c.bold(`Changed objects (${result.changed.length})`));
    for (const ch of result.changed)
      out.push(`  ${ch.change.padEnd(8)} ${changedLabel(ch)}${c.dim(locationLabel(ch))}`);
    out.push('');
  }
  if (options.plan) {
    out.push(c.bold('To avoid the breakage'));
    if (options.plan.clientsWithoutSidecar.length > 0)
      out.push(
        `  callers without a sidecar that would be reset: ${options.plan.clientsWithoutSidecar.join(', ')}`,
      );
    for (const step of options.plan.steps) out.push(`  - ${step}`);
    out.push('');
  }
  if (options.notes?.length) {
    out.push(c.bold(`Notes (${options.notes.length})`));
    for (const note of options.notes) out.push(`  - ${oneLine(note)}`);
    out.push('');
  }
  out.push(...gapSectionLines(impactGaps(result), c));
  const incomplete = blockingImpactGaps(result).length > 0;
  const openedErrorFindings = openedErrors(result);
  const verdict = result.tooBroad
    ? c.magenta('impact unknown: too broad to enumerate')
    : breakCount(result) > 0
      ? c.red(
          `breaks ${result.counts.broken} call(s), repairs ${result.counts.repaired}${newFailingText(result, 0)}`,
        )
      : openedErrorFindings.length > 0
        ? c.red(
            `breaks no call between workloads, repairs ${result.counts.repaired}, but opens ${openedErrorFindings.length} error finding(s): ${openedErrorCodes(result).join(', ')}`,
          )
        : incomplete
          ? c.magenta(
              `breaks nothing in what could be read, repairs ${result.counts.repaired} call(s)${newFailingText(result, 0)}; the comparison is incomplete (see "Could not check")`,
            )
          : c.green(`breaks nothing, repairs ${result.counts.repaired} call(s)${newFailingText(result, 0)}`);
  out.push(
    `${verdict} ${c.dim(`(${result.changed.length} object(s) changed, ${result.pairsCompared} pairs compared)`)}`,
  );
  return `${out.join('\n')}\n`;
}
