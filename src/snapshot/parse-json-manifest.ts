// JSON manifests at JSON.parse speed. One cheap scan of the text finds where the object (or each item
// of a List) starts and ends, and counts keys so that a duplicate key, which JSON.parse silently
// drops, is caught. Field lines are found later, only for the fields something cites.
import { TextObject } from './field-lines.js';
import { isListKind, isPlainObject, ManifestError, type RawObject } from './raw-object.js';

/**
 * Reads `text` as one JSON value. Returns undefined when the YAML reader must decide instead (not
 * valid JSON, a duplicate key, a List with non-object items), so its messages and lines stay the same.
 */
export function parseJsonManifest(text: string, file: string): RawObject[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const scan = scanJson(text);
  if (scan.keys !== countKeys(value)) return undefined;
  if (value === null) return [];
  const rootLine = scan.rootLine;
  if (!isPlainObject(value)) {
    throw new ManifestError(
      file,
      rootLine,
      'expected a Kubernetes object (a mapping with apiVersion and kind)',
    );
  }
  if (!isListKind(value.kind)) {
    return [new TextObject(value, { file, line: rootLine }, text, scan.rootStart, text.length, rootLine)];
  }
  const items = value.items;
  if (!Array.isArray(items)) throw new ManifestError(file, rootLine, `${value.kind} without an items array`);
  if (scan.items.length !== items.length || !items.every(isPlainObject)) return undefined;
  const objects: RawObject[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const at = scan.items[i] as ItemSpan;
    const item = items[i] as Record<string, unknown>;
    objects[i] = new TextObject(item, { file, line: at.line }, text, at.start, at.end, at.line);
  }
  return objects;
}

interface ItemSpan {
  readonly start: number;
  readonly end: number;
  readonly line: number;
}

interface JsonScan {
  readonly rootStart: number;
  readonly rootLine: number;
  /** Spans of the object/array elements of the root object's `items` array. */
  readonly items: ItemSpan[];
  /** Every `:` outside strings: one per key written. */
  readonly keys: number;
}

const QUOTE = 34;
const BACKSLASH = 92;
const COLON = 58;
const OPEN_OBJECT = 123;
const CLOSE_OBJECT = 125;
const OPEN_ARRAY = 91;
const CLOSE_ARRAY = 93;

/** Assumes `text` is valid JSON (JSON.parse accepted it). */
function scanJson(text: string): JsonScan {
  const items: ItemSpan[] = [];
  const lines = new ForwardLineCounter(text);
  let depth = 0;
  let keys = 0;
  let rootStart = -1;
  let rootLine = 1;
  let lastKeyAtDepth1 = '';
  let inItems = false;
  let itemStart = -1;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    // Whitespace first: it is most of the text of a pretty-printed file (kubectl's output).
    if (c <= 32) continue;
    if (rootStart < 0) {
      rootStart = i;
      rootLine = lines.lineAt(i);
    }
    if (c === QUOTE) {
      let end = text.indexOf('"', i + 1);
      while (isEscaped(text, end)) end = text.indexOf('"', end + 1);
      if (depth === 1) lastKeyAtDepth1 = text.slice(i + 1, end);
      i = end;
      continue;
    }
    if (c === COLON) keys++;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
      if (depth === 2 && c === OPEN_ARRAY && lastKeyAtDepth1 === 'items') inItems = true;
      else if (depth === 3 && inItems) itemStart = i;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth === 3 && inItems) items.push({ start: itemStart, end: i + 1, line: lines.lineAt(itemStart) });
      else if (depth === 2) inItems = false;
      depth--;
    }
  }
  return { rootStart: Math.max(rootStart, 0), rootLine, items, keys };
}

/**
 * Lines of ascending offsets, counted with indexOf instead of a test of every character in the scan
 * (JSON strings hold no raw newline, so every newline in the text ends a line).
 */
class ForwardLineCounter {
  private line = 1;
  private nextNewline: number;

  constructor(private readonly text: string) {
    this.nextNewline = text.indexOf('\n');
  }

  /** The 1-based line of `offset`; offsets must not decrease from one call to the next. */
  lineAt(offset: number): number {
    while (this.nextNewline !== -1 && this.nextNewline < offset) {
      this.line++;
      this.nextNewline = this.text.indexOf('\n', this.nextNewline + 1);
    }
    return this.line;
  }
}

function isEscaped(text: string, quote: number): boolean {
  let backslashes = 0;
  for (let j = quote - 1; text.charCodeAt(j) === BACKSLASH; j--) backslashes++;
  return backslashes % 2 === 1;
}

function countKeys(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) count += countKeys(item);
    return count;
  }
  for (const key in value) count += 1 + countKeys((value as Record<string, unknown>)[key]);
  return count;
}
