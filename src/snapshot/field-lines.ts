// Field lines on demand: the fast readers only know where each object starts, so the line of a field
// (cited by an error or a finding) is found by parsing that object's own text with the `yaml` package,
// which keeps source ranges. Same walk, same answers as parsing the whole file with it.
import { isMap, isSeq, LineCounter, type Node, parseDocument } from 'yaml';

/**
 * @param text the whole file
 * @param start offset where the slice to parse starts: at a line start, or the object's first character
 * @param end offset just after the object
 * @param startLine the 1-based line of `start`
 * @param objectLine the line of the object itself (the answer when a path is not found)
 * @param prefix keys from the slice's root to the object (`['items', 3]` for an item of a List)
 */
export function lazyLineOf(
  text: string,
  start: number,
  end: number,
  startLine: number,
  objectLine: number,
  prefix: readonly (string | number)[] = [],
): (path: readonly (string | number)[]) => number {
  let located: { node: Node | undefined; lineAt: (offset: number) => number } | undefined;
  const locate = () => {
    if (located) return located;
    const lineCounter = new LineCounter();
    const document = parseDocument(text.slice(start, end), { lineCounter, uniqueKeys: false });
    const lineAt = (offset: number) => lineCounter.linePos(offset).line + startLine - 1;
    let node: unknown = document.contents;
    for (const key of prefix) node = isMap(node) || isSeq(node) ? node.get(key, true) : undefined;
    located = { node: (node as Node | undefined) ?? undefined, lineAt };
    return located;
  };
  return (path) => {
    const { node, lineAt } = locate();
    return lineOfPath(node, path, lineAt, objectLine);
  };
}

/** The line of the deepest node of `path` under `node` that exists (`fallback` when none does). */
export function lineOfPath(
  node: unknown,
  path: readonly (string | number)[],
  lineAt: (offset: number) => number,
  fallback: number,
): number {
  let current: unknown = node;
  let lastLine = fallback;
  for (const key of path) {
    if (!(isMap(current) || isSeq(current))) break;
    const next = current.get(key, true) as Node | undefined;
    if (!next?.range) break;
    current = next;
    lastLine = lineAt(next.range[0]);
  }
  return lastLine;
}
