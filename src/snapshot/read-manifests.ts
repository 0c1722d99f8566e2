// Reads manifest files into raw Kubernetes objects, each with the file and line it came from.
// Accepts files, directories (recursively), `-` for stdin; multi-document YAML, JSON and `kind: List`.
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { isMap, isSeq, LineCounter, type Node, parseAllDocuments } from 'yaml';
import type { SourceLocation } from './types.js';

export interface RawObject {
  readonly object: Record<string, unknown>;
  /** Absent for objects read from a live cluster. */
  readonly location?: SourceLocation;
  /** Line of a field given as a path of keys (for error messages and SARIF regions). */
  lineOf(path: readonly (string | number)[]): number;
}

/** Bad input: names the file and line; the CLI exits 2 with this message. */
export class ManifestError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'ManifestError';
  }
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export interface ReadOptions {
  /** Paths are shown relative to this folder (keeps machine paths out of reports). */
  readonly cwd?: string;
  readonly stdin?: () => Promise<string>;
}

export async function readManifests(
  paths: readonly string[],
  options: ReadOptions = {},
): Promise<RawObject[]> {
  const objects: RawObject[] = [];
  for (const path of paths) {
    if (path === '-') {
      const text = await (options.stdin ?? readStdin)();
      objects.push(...parseManifestText(text, '<stdin>'));
      continue;
    }
    for (const file of await listManifestFiles(path)) {
      const shown = displayPath(file, options.cwd);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new ManifestError(shown, 0, `cannot read: ${(error as NodeJS.ErrnoException).code ?? error}`);
      }
      objects.push(...parseManifestText(text, shown));
    }
  }
  return objects;
}

async function listManifestFiles(path: string): Promise<string[]> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ManifestError(
      path,
      0,
      code === 'ENOENT' ? 'no such file or directory' : `cannot read: ${code}`,
    );
  }
  if (info.isFile()) return [path];
  const entries = await readdir(path, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && MANIFEST_EXTENSIONS.has(extname(entry.name).toLowerCase()))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

function displayPath(file: string, cwd: string | undefined): string {
  if (!cwd) return file;
  const rel = relative(cwd, file);
  return rel.startsWith('..') ? file : rel;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses one file's text; throws ManifestError at the first syntax error. */
export function parseManifestText(text: string, file: string): RawObject[] {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, uniqueKeys: false });
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
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    const docLine = lineAt(root.range?.[0] ?? 0);
    if (!isPlainObject(value)) {
      throw new ManifestError(
        file,
        docLine,
        'expected a Kubernetes object (a mapping with apiVersion and kind)',
      );
    }
    if (value.kind === 'List' || (typeof value.kind === 'string' && value.kind.endsWith('List'))) {
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
    lineOf(path) {
      let current: unknown = node;
      let lastLine = line;
      for (const key of path) {
        if (!(isMap(current) || isSeq(current))) break;
        const next = current.get(key, true) as Node | undefined;
        if (!next?.range) break;
        current = next;
        lastLine = lineAt(next.range[0]);
      }
      return lastLine;
    },
  };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
