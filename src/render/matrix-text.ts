// `matrix` as a table: failures first, then (some of) the working pairs.
import pc from 'picocolors';
import type { MatrixPair, MatrixResult } from '../engine/matrix.js';
import type { Gap } from '../snapshot/types.js';
import { gapSectionLines } from './gap-text.js';
import { sanitizeDeep, sanitizeText } from './sanitize.js';

export interface MatrixTextOptions {
  readonly color: boolean;
  /** What could not be read: the pairs say nothing about it. */
  readonly gaps?: readonly Gap[];
  /** Show every working pair too (default: the first 50). */
  readonly all?: boolean;
}

const OK_ROWS_SHOWN = 50;

export function renderMatrixText(result: MatrixResult, options: MatrixTextOptions): string {
  const c = pc.createColors(options.color);
  const matrix = {
    pairs: result.pairs,
    skippedTargets: result.skippedTargets.slice(0, 10).map(sanitizeText),
  };
  const failing = matrix.pairs.filter((p) => p.outcome === 'fail').map((p) => sanitizeDeep(p));
  const working = matrix.pairs.filter((p) => p.outcome === 'ok');
  const shownOk = (options.all ? working : working.slice(0, OK_ROWS_SHOWN)).map((p) => sanitizeDeep(p));
  const rows = [...failing, ...shownOk];
  const header = ['FROM', 'TO', 'OUTCOME', 'CLIENT', 'SERVER', 'REASON'];
  const cells = rows.map((p) => [
    p.from,
    p.to,
    p.outcome,
    `${p.client.proxy}/${p.client.tls}`,
    `${p.server.proxy}/${p.server.mode}`,
    p.reason,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const out = [c.bold(line(header))];
  rows.forEach((p, i) => {
    const text = line(cells[i] as string[]);
    out.push(p.outcome === 'fail' ? c.red(text) : text);
  });
  const symptoms = [...new Set(failing.map((p: MatrixPair) => `${p.reason}: ${p.symptom}`))];
  if (symptoms.length > 0) {
    out.push('', c.bold('What failing callers see:'));
    for (const s of symptoms) out.push(`  ${s}`);
  }
  out.push('');
  if (!options.all && working.length > shownOk.length) {
    out.push(
      c.dim(
        `(${working.length - shownOk.length} more working pairs not shown; --all shows them, -o json gives every pair)`,
      ),
    );
  }
  if (result.skippedTargets.length > 0) {
    out.push(
      c.dim(
        `skipped (no workload behind them in the input): ${matrix.skippedTargets.join(', ')}${result.skippedTargets.length > 10 ? ` and ${result.skippedTargets.length - 10} more` : ''}`,
      ),
    );
  }
  out.push(...gapSectionLines(options.gaps ?? [], c));
  const counted = `${matrix.pairs.length} pairs: ${failing.length} failing, ${working.length} ok`;
  out.push(
    (options.gaps ?? []).some((g) => !g.optional)
      ? c.magenta(
          c.bold(`${counted} in what could be read; the matrix is incomplete (see "Could not check").`),
        )
      : c.bold(`${counted}.`),
  );
  return `${out.join('\n')}\n`;
}
