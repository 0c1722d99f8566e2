// Multi-document YAML with js-yaml (several times faster than the `yaml` package, which builds a
// full syntax tree). Its parse events give where each document's object (and each List item) starts;
// field lines are found later, only for the fields something cites.
import { CORE_SCHEMA, loadAll, type State, YAMLException } from 'js-yaml';
import { TextObject } from './field-lines.js';
import { isListKind, isPlainObject, ManifestError, type RawObject } from './raw-object.js';

interface DocumentSpan {
  readonly start: number;
  /** 1-based. */
  readonly line: number;
  end: number;
  /** The value of the root's `items` key and the line of each of its entries (for a List). */
  items?: ItemLines;
}

interface ItemLines {
  value: unknown;
  readonly lines: number[];
}

type ParserState = State & { depth: number; anchorMap: object };

/**
 * Reads `text` as YAML documents. Returns undefined when the `yaml` package must decide instead
 * (anchors or aliases, a List whose items cannot be matched to their positions).
 */
export function parseYamlFast(text: string, file: string, onDocument?: () => void): RawObject[] | undefined {
  const documents: DocumentSpan[] = [];
  let document: DocumentSpan | undefined;
  // Keys are nodes too: after the key `items` closes, the next node under the root is its value.
  let itemsValueNext = false;
  let items: ItemLines | undefined;
  let anchors = false;
  // Called for every node, so it does as little as it can. Depth is 1 at a document's root node,
  // 2 at its keys and values, 3 at the entries of those.
  const listener = (event: 'open' | 'close', state: State) => {
    const depth = (state as ParserState).depth;
    if (depth > 3) return;
    if (event === 'open') {
      if (depth === 3) items?.lines.push(state.line + 1);
      else if (depth === 2) {
        items = itemsValueNext ? { value: undefined, lines: [] } : undefined;
        itemsValueNext = false;
      } else {
        document = { start: state.position, line: state.line + 1, end: -1 };
        documents.push(document);
        itemsValueNext = false;
        onDocument?.();
      }
      return;
    }
    if (depth === 2) {
      if (items && document) {
        items.value = state.result;
        document.items = items;
        items = undefined;
      } else itemsValueNext = state.result === 'items';
    } else if (depth === 1 && document) {
      document.end = state.position;
      // Anchors (and so aliases) are left to the `yaml` package, which limits how far aliases
      // expand; js-yaml shares aliased values, so a "billion laughs" would only explode later.
      if (hasKeys((state as ParserState).anchorMap)) anchors = true;
    }
  };
  let values: unknown[];
  try {
    values = loadAll(text, null, { schema: CORE_SCHEMA, listener });
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    throw new ManifestError(file, (error.mark?.line ?? 0) + 1, `invalid YAML: ${error.reason}`);
  }
  if (anchors || values.length !== documents.length) return undefined;
  const objects: RawObject[] = [];
  for (let d = 0; d < values.length; d++) {
    const value = values[d];
    const spans = documents[d] as DocumentSpan;
    if (value === null || value === undefined) continue;
    if (!isPlainObject(value)) {
      throw new ManifestError(
        file,
        spans.line,
        'expected a Kubernetes object (a mapping with apiVersion and kind)',
      );
    }
    // Field lines: parse the document from the start of its first line (indentation intact).
    const sliceStart = text.lastIndexOf('\n', spans.start - 1) + 1;
    if (!isListKind(value.kind)) {
      objects.push(
        new TextObject(value, { file, line: spans.line }, text, sliceStart, spans.end, spans.line),
      );
      continue;
    }
    const items = value.items;
    if (!Array.isArray(items))
      throw new ManifestError(file, spans.line, `${value.kind} without an items array`);
    const itemLines = spans.items?.value === items ? spans.items.lines : undefined;
    if (!itemLines || itemLines.length !== items.length || !items.every(isPlainObject)) return undefined;
    items.forEach((item, index) => {
      const line = itemLines[index] as number;
      const object = item as Record<string, unknown>;
      const prefix = ['items', index];
      objects.push(new TextObject(object, { file, line }, text, sliceStart, spans.end, spans.line, prefix));
    });
  }
  return objects;
}

function hasKeys(object: object): boolean {
  for (const _ in object) return true;
  return false;
}
