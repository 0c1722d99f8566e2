// Terminal output for `check`: grouped by severity, each finding with what/why/fix and the commands.
import pc from 'picocolors';
import type { Finding } from '../analyzers/finding.js';
import type { Diagnosis } from '../engine/diagnose.js';
import { formatRef } from '../snapshot/types.js';
import { gapSectionLines } from './gap-text.js';
import { sanitizeDeep } from './sanitize.js';
import { checkedObjects, summarize } from './summary.js';

export interface TextOptions {
  readonly color: boolean;
  readonly verbose?: boolean;
  readonly timings?: Record<string, number>;
}

const HEADINGS = { error: 'Errors', warning: 'Warnings', info: 'Posture (info)' } as const;

export function renderCheckText(diagnosis: Diagnosis, options: TextOptions): string {
  const c = pc.createColors(options.color);
  const out: string[] = [];
  const summary = sanitizeDeep(summarize(diagnosis, options.timings));
  const findings = diagnosis.findings.map((f) => sanitizeDeep(f));
  const k = summary.checked;
  out.push(
    c.bold(`mtls-doctor check — ${summary.scope}`) +
      c.dim(
        ` (${checkedObjects(k, ['workloads', 'services', 'peerAuthentications', 'destinationRules', 'serviceEntries', 'authorizationPolicies'])})`,
      ),
    '',
  );
  const paint = { error: c.red, warning: c.yellow, info: c.cyan } as const;
  for (const severity of ['error', 'warning', 'info'] as const) {
    const list = findings.filter((f) => f.severity === severity);
    if (list.length === 0) continue;
    out.push(paint[severity](c.bold(`${HEADINGS[severity]} (${list.length})`)));
    for (const f of list) {
      const compact = severity === 'info' && !options.verbose;
      out.push(...renderFinding(f, c, paint[severity], compact), '');
    }
  }
  out.push(...gapSectionLines(diagnosis.gaps, c));
  out.push(verdictLine(summary, c));
  const t = summary.timingsMs;
  out.push(
    c.dim(
      `timings: ${Object.entries(t)
        .map(([name, ms]) => `${name} ${ms} ms`)
        .join(', ')}`,
    ),
  );
  return `${out.join('\n')}\n`;
}

function renderFinding(
  f: Finding,
  c: ReturnType<typeof pc.createColors>,
  paint: (s: string) => string,
  compact: boolean,
): string[] {
  const where = f.location
    ? c.dim(` (${f.location.file}:${f.location.line}${f.path ? ` ${f.path}` : ''})`)
    : '';
  const lines = [
    `  ${paint('●')} ${c.bold(f.code)}  ${formatRef(f.resource)}${where}`,
    ...wrap(f.message, '    '),
  ];
  if (compact) return lines;
  if (f.why.length > 0) {
    lines.push(c.dim('    why:'));
    for (const why of f.why) lines.push(...wrap(`- ${why}`, '      ').map((l) => c.dim(l)));
  }
  lines.push(...wrap(`fix: ${f.fix}`, '    ').map((l) => c.green(l)));
  for (const plan of f.remediations) {
    lines.push(`    ${c.bold('→')} ${plan.title} ${c.dim(`[${plan.id}]`)}`);
    // Commands at column 0, as they run: an indented heredoc terminator would never end the heredoc.
    for (const cmd of plan.kubectl.split('\n')) lines.push(c.dim(cmd));
  }
  return lines;
}

function verdictLine(summary: ReturnType<typeof summarize>, c: ReturnType<typeof pc.createColors>): string {
  const counts = `${summary.errors} error(s), ${summary.warnings} warning(s), ${summary.infos} info`;
  if (summary.verdict === 'problems-found') return c.bold(`${counts} in ${summary.scope}.`);
  if (summary.verdict === 'incomplete') {
    return c.magenta(
      c.bold(
        `No problems found in what could be read, but the check is incomplete (see "Could not check" above). ${counts}.`,
      ),
    );
  }
  const skipped = summary.notCrossChecked.length
    ? `; not cross-checked: ${summary.notCrossChecked.join(', ')}`
    : '';
  return c.green(c.bold(`No mTLS problems found in ${summary.scope} (${counts}${skipped}).`));
}

/** Wraps prose at 100 columns with a hanging indent. */
export function wrap(text: string, indent: string, width = 100): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}
