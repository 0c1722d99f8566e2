// `diff -o markdown`: a pull-request comment. Short verdict first, then tables kept under GitHub's
// comment size (pairs beyond the limit are counted, not listed).
import type { ImpactPair, ImpactResult } from '../engine/impact.js';
import type { ImpactExtras } from './diff-json.js';
import { blockingImpactGaps } from './diff-summary.js';
import { changedLabel } from './diff-text.js';

export const MARKDOWN_PAIR_LIMIT = 50;

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function pairTable(pairs: readonly ImpactPair[], count: number): string[] {
  const rows = pairs
    .slice(0, MARKDOWN_PAIR_LIMIT)
    .map(
      (p) =>
        `| \`${cell(p.from)}\` | \`${cell(p.to)}\` | ${cell(p.before.reason)} → **${cell(p.reason)}** | ${cell(p.outcome === 'fail' ? p.symptom : p.before.symptom)} | ${cell(p.causes.map(changedLabel).join(', '))} |`,
    );
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
  else if (counts.broken > 0)
    out.push(`:x: **Breaks ${counts.broken} call(s)**, repairs ${counts.repaired}.`, '');
  else if (gaps.length > 0)
    out.push(
      `:warning: **Breaks nothing in what could be read**, repairs ${counts.repaired} call(s); the comparison is incomplete.`,
      '',
    );
  else out.push(`:white_check_mark: **Breaks nothing**, repairs ${counts.repaired} call(s).`, '');
  if (gaps.length > 0)
    out.push('#### Could not check', '', ...gaps.map((g) => `- ${cell(g.source)}: ${cell(g.reason)}`), '');
  if (counts.broken > 0) out.push('#### Broken calls', '', ...pairTable(result.broken, counts.broken), '');
  if (counts.repaired > 0)
    out.push('#### Repaired calls', '', ...pairTable(result.repaired, counts.repaired), '');
  const { opened, resolved } = result.findings;
  if (opened.length + resolved.length > 0) {
    out.push('#### Findings', '');
    for (const f of opened) out.push(`- opened **${f.severity}** \`${f.code}\`: ${f.message}`);
    for (const f of resolved) out.push(`- resolved ~~${f.code}~~: ${f.message}`);
    out.push('');
  }
  if (extras.plan) {
    out.push('#### To avoid the breakage', '', ...extras.plan.steps.map((s) => `- ${s}`), '');
  }
  if (result.changed.length > 0) {
    out.push(
      `<details><summary>${result.changed.length} changed object(s)</summary>`,
      '',
      ...result.changed.map(
        (c) =>
          `- ${c.change} \`${changedLabel(c)}\`${c.location ? ` (${c.location.file}:${c.location.line})` : ''}`,
      ),
      '',
      '</details>',
      '',
    );
  }
  return `${out.join('\n')}\n`;
}
