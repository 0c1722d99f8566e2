// The reference reader: the `yaml` package keeps every node's source range. Slow on big input, so it
// serves the cases the fast readers leave to it (anchors and aliases, odd List layouts, errors).
import { isMap, isSeq, LineCounter, type Node, parseAllDocuments } from 'yaml';
import { lineOfPath } from './field-lines.js';
import { firstLine, isListKind, isPlainObject, ManifestError, type RawObject } from './raw-object.js';

/** Parses one file's text; throws ManifestError at the first syntax error. */
export function parseYamlExact(text: string, file: string): RawObject[] {
  const lineCounter = new LineCounter();
  // Duplicate keys are an error, as kubectl makes them.
  const documents = parseAllDocuments(text, { lineCounter, uniqueKeys: true });
  // parseAllDocuments returns an EmptyStream (not an array) for input with no documents.
  if (!Array.isArray(documents)) return [];
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  const objects: RawObject[] = [];
  for (const document of documents) {
    const syntaxError = document.errors[0];
    if (syntaxError) {
      throw new ManifestError(
        file,
        lineAt(syntaxError.pos[0]),
        `invalid YAML: ${firstLine(syntaxError.message)}`,
      );
    }
    const root = document.contents;
    if (root === null) continue;
    const docLine = lineAt(root.range?.[0] ?? 0);
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: 100 });
    } catch (error) {
      if (!(error instanceof ReferenceError)) throw error;
      throw new ManifestError(
        file,
        docLine,
        'invalid YAML: its aliases expand too much (refused as a possible alias bomb)',
      );
    }
    if (value === null || value === undefined) continue;
    if (!isPlainObject(value)) {
      throw new ManifestError(
        file,
        docLine,
        'expected a Kubernetes object (a mapping with apiVersion and kind)',
      );
    }
    if (isListKind(value.kind)) {
      const itemsNode = isMap(root) ? root.get('items', true) : undefined;
      const items = value.items;
      if (!Array.isArray(items))
        throw new ManifestError(file, docLine, `${value.kind} without an items array`);
      items.forEach((item, index) => {
        const itemNode = isSeq(itemsNode) ? (itemsNode.items[index] as Node | undefined) : undefined;
        if (!isPlainObject(item)) {
          throw new ManifestError(
            file,
            lineAt(itemNode?.range?.[0] ?? 0),
            `items[${index}] is not an object`,
          );
        }
        objects.push(rawObject(item, file, itemNode ?? root, lineAt));
      });
      continue;
    }
    objects.push(rawObject(value, file, root, lineAt));
  }
  return objects;
}

function rawObject(
  object: Record<string, unknown>,
  file: string,
  node: Node,
  lineAt: (offset: number) => number,
): RawObject {
  const line = lineAt(node.range?.[0] ?? 0);
  return {
    object,
    location: { file, line },
    lineOf: (path) => lineOfPath(node, path, lineAt, line),
  };
}
