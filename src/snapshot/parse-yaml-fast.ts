// Multi-document YAML with js-yaml (several times faster than the `yaml` package, which builds a
// full syntax tree). Its parse events give where each document's object (and each List item) starts;
// field lines are found later, only for the fields something cites.
import { CORE_SCHEMA, loadAll, type State, YAMLException } from 'js-yaml';
import { lazyLineOf } from './field-lines.js';
import { isListKind, isPlainObject, ManifestError, type RawObject } from './raw-object.js';

interface NodeSpan {
  start: number;
  /** 1-based. */
  line: number;
  end: number;
  value: unknown;
}

interface DocumentSpans extends NodeSpan {
  /** Nodes directly under the document's root (keys and values of a mapping). */
  readonly children: ChildSpans[];
}

interface ChildSpans extends NodeSpan {
  readonly children: NodeSpan[];
}

/**
 * Reads `text` as YAML documents. Returns undefined when the `yaml` package must decide instead
 * (anchors or aliases, a List whose items cannot be matched to their positions).
 */
export function parseYamlFast(text: string, file: string, onDocument?: () => void): RawObject[] | undefined {
  const documents: DocumentSpans[] = [];
  let document: DocumentSpans | undefined;
  let child: ChildSpans | undefined;
  let anchors = false;
  // Depth is 1 at a document's root node, 2 at its keys and values, 3 below.
  const listener = (event: 'open' | 'close', state: State) => {
    const depth = (state as State & { depth: number }).depth;
    if (depth > 3) return;
    if (event === 'open') {
      const span = { start: state.position, line: state.line + 1, end: -1, value: undefined };
      if (depth === 1) {
        document = { ...span, children: [] };
        documents.push(document);
        onDocument?.();
      } else if (depth === 2) {
        child = { ...span, children: [] };
        document?.children.push(child);
      } else child?.children.push(span);
      return;
    }
    const span = depth === 1 ? document : depth === 2 ? child : child?.children.at(-1);
    // Anchors (and so aliases) are left to the `yaml` package, which limits how far aliases expand;
    // js-yaml shares aliased values, so a "billion laughs" document would only explode later.
    if (depth === 1 && hasKeys((state as State & { anchorMap: object }).anchorMap)) anchors = true;
    if (!span) return;
    span.end = state.position;
    span.value = state.result;
    // Positions below the root are only needed for the items of a List: drop the rest early.
    if (depth === 2 && !Array.isArray(state.result)) child?.children.splice(0);
    if (depth === 1 && !(isPlainObject(state.result) && isListKind(state.result.kind))) {
      document?.children.splice(0);
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
    const spans = documents[d] as DocumentSpans;
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
      objects.push({
        object: value,
        location: { file, line: spans.line },
        lineOf: lazyLineOf(text, sliceStart, spans.end, spans.line, spans.line),
      });
      continue;
    }
    const items = value.items;
    if (!Array.isArray(items))
      throw new ManifestError(file, spans.line, `${value.kind} without an items array`);
    const itemSpans = spans.children.find((c) => c.value === items)?.children;
    if (!itemSpans || itemSpans.length !== items.length || !items.every(isPlainObject)) return undefined;
    items.forEach((item, index) => {
      const at = itemSpans[index] as NodeSpan;
      objects.push({
        object: item as Record<string, unknown>,
        location: { file, line: at.line },
        lineOf: lazyLineOf(text, sliceStart, spans.end, spans.line, at.line, ['items', index]),
      });
    });
  }
  return objects;
}

function hasKeys(object: object): boolean {
  for (const _ in object) return true;
  return false;
}
