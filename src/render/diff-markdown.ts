// `diff -o markdown`: a pull-request comment. Short verdict first, then tables kept under GitHub's
// comment size (pairs beyond the limit are counted, not listed).
import type { ImpactPair, ImpactResult, NewPair } from '../engine/impact.js';
import { changedLabel } from '../impact/changed-objects.js';
import type { ImpactExtras } from './diff-json.js';
import { blockingImpactGaps, breakCount, newFailingText } from './diff-summary.js';

export const MARKDOWN_PAIR_LIMIT = 50;
/** Findings and changed objects listed before the rest are counted. */
export const MARKDOWN_LIST_LIMIT = 50;
/** GitHub refuses a comment over 65,536 characters: the report stays under with room to spare. */
export const MARKDOWN_BUDGET = 60_000;

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function pairTable(pairs: readonly (NewPair | ImpactPair)[], count: number): string[] {
  const rows = pairs.slice(0, MARKDOWN_PAIR_LIMIT).map((p) => {
    const before = 'before' in p ? p.before : undefined;
    const moved = 'movedFrom' in p && p.movedFrom ? ` (moved from \`${cell(p.movedFrom)}\`)` : '';
    const symptom = p.outcome === 'fail' || !before ? p.symptom : before.symptom;
    return `| \`${cell(p.from)}\`${moved} | \`${cell(p.to)}\` | ${cell(before?.reason ?? 'new')} → **${cell(p.reason)}** | ${cell(symptom)} | ${cell(p.causes.map(changedLabel).join(', '))} |`;
  });
  const more = count > rows.length ? [``, `… and ${count - rows.length} more.`] : [];
  return [
    '| from | to | reason (before → after) | symptom | changed by |',
    '|---|---|---|---|---|',
    ...rows,
    ...more,
  ];
}

export function renderImpactMarkdown(result: ImpactResult, extras: ImpactExtras = {}): string {
  const out: string[] = [`### mtls-doctor diff${extras.whatIf ? ` — what if ${extras.whatIf}` : ''}`, ''];
  const { counts } = result;
  const gaps = blockingImpactGaps(result);
  if (result.tooBroad) out.push(`:warning: **Impact not enumerated**: ${result.tooBroad.message}.`, '');
  else if (breakCount(result) > 0)
    out.push(
      `:x: **Breaks ${counts.broken} call(s)**, repairs ${counts.repaired}${newFailingText(result, 0)}.`,
      '',
    );
  else if (gaps.length > 0)
    out.push(
      `:warning: **Breaks nothing in what could be read**, repairs ${counts.repaired} call(s)${newFailingText(result, 0)}; the comparison is incomplete.`,
      '',
    );
  else
    out.push(
      `:white_check_mark: **Breaks nothing**, repairs ${counts.repaired} call(s)${newFailingText(result, 0)}.`,
      '',
    );
  if (gaps.length > 0)
    out.push('#### Could not check', '', ...gaps.map((g) => `- ${cell(g.source)}: ${cell(g.reason)}`), '');
  if (extras.notes?.length) out.push('#### Notes', '', ...extras.notes.map((n) => `- ${cell(n)}`), '');
  if (counts.broken > 0) out.push('#### Broken calls', '', ...pairTable(result.broken, counts.broken), '');
  if (counts.repaired > 0)
    out.push('#### Repaired calls', '', ...pairTable(result.repaired, counts.repaired), '');
  if (counts.newFailing > 0)
    out.push('#### New calls that fail', '', ...pairTable(result.newFailing, counts.newFailing), '');
  const { opened, resolved, reworded } = result.findings;
  if (opened.length + resolved.length + reworded.length > 0) {
    out.push('#### Findings', '');
    out.push(...capped(opened, (f) => `- opened **${f.severity}** \`${f.code}\`: ${f.message}`));
    out.push(...capped(resolved, (f) => `- resolved ~~${f.code}~~: ${f.message}`));
    out.push(
      ...capped(
        reworded,
        ({ after: f }) => `- still open, now reads: **${f.severity}** \`${f.code}\`: ${f.message}`,
      ),
    );
    out.push('');
  }
  if (extras.plan) {
    out.push('#### To avoid the breakage', '', ...extras.plan.steps.map((s) => `- ${s}`), '');
  }
  if (result.changed.length > 0) {
    out.push(
      `<details><summary>${result.changed.length} changed object(s)</summary>`,
      '',
      ...capped(
        result.changed,
        (c) =>
          `- ${c.change} \`${changedLabel(c)}\`${c.location ? ` (${c.location.file}:${c.location.line})` : ''}`,
      ),
      '',
      '</details>',
      '',
    );
  }
  return withinBudget(out);
}

/** The first items as lines, the rest counted. */
function capped<T>(items: readonly T[], line: (item: T) => string): string[] {
  const lines = items.slice(0, MARKDOWN_LIST_LIMIT).map(line);
  if (items.length > lines.length)
    lines.push(`- … and ${items.length - lines.length} more (\`-o json\` lists them all)`);
  return lines;
}

/** Cut at a line end under the budget, saying so: a comment GitHub refuses fails the whole job. */
function withinBudget(lines: readonly string[]): string {
  const text = `${lines.join('\n')}\n`;
  if (text.length <= MARKDOWN_BUDGET) return text;
  const note = `\n_… report cut at ${MARKDOWN_BUDGET.toLocaleString('en')} characters (a GitHub comment holds 65,536); \`-o json\` has all of it._\n`;
  const cut = text.lastIndexOf('\n', MARKDOWN_BUDGET - note.length);
  let kept = text.slice(0, cut);
  // A cut inside <details> would leave it open and fold the note away.
  if (kept.lastIndexOf('<details>') > kept.lastIndexOf('</details>')) kept += '\n\n</details>';
  return `${kept}\n${note}`;
}
