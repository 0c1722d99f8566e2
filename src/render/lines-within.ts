// A list cut to a length, at whole lines, saying how many lines were left out: a silent cut would read
// as the whole list.

/** As many whole lines as fit in `max` characters, then `more(n)` on a line of its own for the n left. */
export function linesWithin(lines: readonly string[], max: number, more: (left: number) => string): string {
  let text = '';
  for (const [i, line] of lines.entries()) {
    const next = text ? `${text}\n${line}` : line;
    const rest = lines.length - i - 1;
    if (next.length + (rest > 0 ? more(rest).length + 1 : 0) > max)
      return text ? `${text}\n${more(lines.length - i)}` : more(lines.length - i);
    text = next;
  }
  return text;
}
