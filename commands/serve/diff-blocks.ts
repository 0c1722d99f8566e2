// A fix's diff as Slack section blocks, never cut silently: an approver must see the line that matters
// (a `mode: DISABLE` at the end of a long object). A section's text holds 3,000 characters, and Slack
// refuses a message whose blocks hold more than about 13,000 in all (msg_blocks_too_long, below the
// documented 50 blocks; slackapi/bolt-js#2509), so the diff gets a budget of its own and is split into
// sections within it. A diff over the budget shows its changed lines with one line of context (the
// unchanged runs between them counted), then, if still too long, as many lines as fit and an explicit
// count of the rest with where to see the whole of it.
import { type Block, escapeCode, FENCE, LIMITS, safeCut, section } from '../../src/render/blocks.js';

const SECTION_TEXT = LIMITS.sectionText;
/** Characters of diff per message; the request's title, impact and buttons take the rest. */
export const DIFF_BUDGET = 8000;

interface Line {
  readonly text: string;
  /** Lines of the diff it stands for: 1, or the unchanged lines a `⋯` line counts. */
  readonly lines: number;
  readonly changed: boolean;
}

/**
 * The diff in code sections of at most 3,000 characters, `budget` characters in all; what does not
 * fit is named, with `whole` (where to see all of it, mrkdwn) in the last section.
 */
export function diffBlocks(diff: string, whole: string, budget = DIFF_BUDGET): Block[] {
  const all = diff
    .replace(/\n$/, '')
    .split('\n')
    .map((text) => ({ text, lines: 1, changed: isChange(text) }));
  const fitted = pack(all, budget) ?? pack(condensed(all), budget);
  if (fitted) return fitted.map(section);
  const lines = condensed(all);
  const marker = (rest: readonly Line[]) => {
    const count = rest.reduce((n, l) => n + l.lines, 0);
    const changed = rest.filter((l) => l.changed).length;
    return `_… ${count} more line${count === 1 ? '' : 's'} of the diff not shown (${changed} of them changed); ${whole}._`;
  };
  // The longest head of the condensed diff that fits with the marker naming everything after it.
  let [fits, tooLong] = [0, lines.length];
  while (tooLong - fits > 1) {
    const mid = Math.floor((fits + tooLong) / 2);
    if (pack(lines.slice(0, mid), budget, marker(lines.slice(mid)))) fits = mid;
    else tooLong = mid;
  }
  return (pack(lines.slice(0, fits), budget, marker(lines.slice(fits))) ?? [marker(lines)]).map(section);
}

/** A `+`/`-` line of a hunk (not the `+++`/`---` file names). */
function isChange(line: string): boolean {
  return (
    (line.startsWith('+') && !line.startsWith('+++')) || (line.startsWith('-') && !line.startsWith('---'))
  );
}

/** Changed lines keep one unchanged line either side; longer unchanged runs become one counted line. */
function condensed(lines: readonly Line[]): Line[] {
  const keep = lines.map(
    (l, i) => !l.text.startsWith(' ') || l.changed || lines[i - 1]?.changed || lines[i + 1]?.changed,
  );
  const out: Line[] = [];
  for (let i = 0; i < lines.length; ) {
    if (keep[i]) {
      out.push(lines[i] as Line);
      i++;
      continue;
    }
    let j = i;
    while (j < lines.length && !keep[j]) j++;
    const n = j - i;
    out.push(n === 1 ? (lines[i] as Line) : { text: ` ⋯ ${n} unchanged lines`, lines: n, changed: false });
    i = j;
  }
  return out;
}

/**
 * The lines as code sections, `note` after the last, all within `budget` characters (each section at
 * most 3,000); undefined when they do not fit. A line longer than a section is split across sections.
 */
function pack(lines: readonly Line[], budget: number, note?: string): string[] | undefined {
  const room = SECTION_TEXT - 2 * FENCE.length;
  const chunks: string[] = [];
  let current: string[] = [];
  let size = 0;
  const flush = () => {
    if (current.length) chunks.push(`${FENCE}${current.join('\n')}${FENCE}`);
    current = [];
    size = 0;
  };
  for (const line of lines) {
    let text = escapeCode(line.text);
    while (text.length > room) {
      flush();
      const cut = safeCut(text, room);
      current.push(text.slice(0, cut));
      flush();
      text = text.slice(cut);
    }
    if (current.length && size + 1 + text.length > room) flush();
    size += (current.length ? 1 : 0) + text.length;
    current.push(text);
  }
  flush();
  if (note) {
    const last = chunks.at(-1);
    if (last !== undefined && last.length + 1 + note.length <= SECTION_TEXT)
      chunks[chunks.length - 1] = `${last}\n${note}`;
    else chunks.push(note);
  }
  return chunks.reduce((n, c) => n + c.length, 0) <= budget ? chunks : undefined;
}
