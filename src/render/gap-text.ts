// The "Could not check" and "Not cross-checked" sections of every text output (check, matrix, diff):
// what could not be read, one line each. A reason is flattened to one line, so text from the API
// cannot start a line of its own that reads like the verdict.
import type pc from 'picocolors';
import type { Gap } from '../snapshot/types.js';
import { oneLineGap } from './sanitize.js';

type Colors = ReturnType<typeof pc.createColors>;

export function gapSectionLines(gaps: readonly Gap[], c: Colors): string[] {
  const out: string[] = [];
  const shown = gaps.map(oneLineGap);
  const blocking = shown.filter((g) => !g.optional);
  const optional = shown.filter((g) => g.optional);
  if (blocking.length > 0) {
    out.push(c.magenta(c.bold(`Could not check (${blocking.length})`)));
    for (const gap of blocking) out.push(`  ${c.magenta('?')} ${gap.source}: ${gap.reason}`);
    out.push('');
  }
  if (optional.length > 0) {
    out.push(c.dim(`Not cross-checked (${optional.length})`));
    for (const gap of optional) out.push(c.dim(`  - ${gap.source}: ${gap.reason}`));
    out.push('');
  }
  return out;
}

/** Each gap once: two sides of a comparison read from one cluster miss the same things. */
export function distinctGaps(...lists: readonly (readonly Gap[])[]): Gap[] {
  const seen = new Map<string, Gap>();
  for (const gap of lists.flat()) seen.set(`${gap.source}\u0000${gap.reason}`, gap);
  return [...seen.values()];
}
