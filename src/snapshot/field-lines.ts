// Field lines on demand: the fast readers only know where each object starts, so the line of a field
// (cited by an error or a finding) is found by parsing that object's own text with the `yaml` package,
// which keeps source ranges. Same walk, same answers as parsing the whole file with it.
import { isMap, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { RawObject } from './raw-object.js';
import type { SourceLocation } from './types.js';

/**
 * An object read by a fast reader: its place, and its field lines found on demand. One instance per
 * object (no closure per object): a large file has tens of thousands of them alive while the snapshot
 * is built.
 */
export class TextObject implements RawObject {
  private located?: { readonly node: Node | undefined; readonly lineAt: (offset: number) => number };

  /**
   * @param text the whole file
   * @param start offset where the slice to parse starts: at a line start, or the object's first character
   * @param end offset just after the object
   * @param startLine the 1-based line of `start`
   * @param prefix keys from the slice's root to the object (`['items', 3]` for an item of a List)
   */
  constructor(
    readonly object: Record<string, unknown>,
    readonly location: SourceLocation,
    private readonly text: string,
    private readonly start: number,
    private readonly end: number,
    private readonly startLine: number,
    private readonly prefix?: readonly (string | number)[],
  ) {}

  /** The line of the deepest node of `path` that exists (the object's own line when none does). */
  lineOf(path: readonly (string | number)[]): number {
    const { node, lineAt } = this.locate();
    return lineOfPath(node, path, lineAt, this.location.line);
  }

  private locate() {
    if (this.located) return this.located;
    const lineCounter = new LineCounter();
    const document = parseDocument(this.text.slice(this.start, this.end), { lineCounter, uniqueKeys: false });
    const startLine = this.startLine;
    const lineAt = (offset: number) => lineCounter.linePos(offset).line + startLine - 1;
    let node: unknown = document.contents;
    for (const key of this.prefix ?? []) node = isMap(node) || isSeq(node) ? node.get(key, true) : undefined;
    this.located = { node: (node as Node | undefined) ?? undefined, lineAt };
    return this.located;
  }
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
