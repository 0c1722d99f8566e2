// Reads manifest files into raw Kubernetes objects, each with the file and line it came from.
// Accepts files, directories (recursively, through symbolic links), `-` for stdin; multi-document
// YAML, JSON and `kind: List`. JSON goes through JSON.parse and YAML through js-yaml; the `yaml`
// package (exact source ranges) decides what they leave to it and finds field lines on demand.
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { listManifestFiles } from './manifest-files.js';
import { parseJsonManifest } from './parse-json-manifest.js';
import { parseYamlExact } from './parse-yaml-exact.js';
import { parseYamlFast } from './parse-yaml-fast.js';
import { ManifestError, type RawObject } from './raw-object.js';

export { isPlainObject, ManifestError, type RawObject } from './raw-object.js';

export interface ReadOptions {
  /** Paths are shown relative to this folder (keeps machine paths out of reports). */
  readonly cwd?: string;
  readonly stdin?: () => Promise<string>;
  /** Receives a progress line (starting with `\r`) while reading takes long; the empty string at the end. */
  readonly onProgress?: (line: string) => void;
  /** How long reading may take before progress is shown (default 1 s). */
  readonly progressAfterMs?: number;
}

export async function readManifests(
  paths: readonly string[],
  options: ReadOptions = {},
): Promise<RawObject[]> {
  const objects: RawObject[] = [];
  const progress = new Progress(options);
  for (const path of paths) {
    const before = objects.length;
    if (path === '-') {
      const text = await (options.stdin ?? readStdin)();
      append(
        objects,
        parseManifestText(text, '<stdin>', () => progress.tick(objects.length)),
      );
      progress.fileDone(text.length, objects.length);
    } else {
      const shown = (file: string) => displayPath(file, options.cwd);
      for (const file of await listManifestFiles(path, shown)) {
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch (error) {
          throw new ManifestError(
            shown(file),
            0,
            `cannot read: ${(error as NodeJS.ErrnoException).code ?? error}`,
          );
        }
        append(
          objects,
          parseManifestText(text, shown(file), () => progress.tick(objects.length)),
        );
        progress.fileDone(text.length, objects.length);
      }
    }
    // An empty file, an empty directory or nothing on stdin is a mistake, not a clean mesh.
    if (objects.length === before) {
      const name = path === '-' ? '<stdin>' : displayPath(path, options.cwd);
      throw new ManifestError(name, 0, 'no Kubernetes objects', `no Kubernetes objects in ${name}`);
    }
  }
  progress.done();
  return objects;
}

/** `push(...many)` overflows the stack past ~100k arguments. */
function append(target: RawObject[], more: readonly RawObject[]): void {
  for (const object of more) target.push(object);
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
export function parseManifestText(text: string, file: string, onDocument?: () => void): RawObject[] {
  // A byte order mark is not content (js-yaml and JSON.parse would disagree about it).
  const content = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    if (looksLikeJson(content, file)) {
      const objects = parseJsonManifest(content, file);
      if (objects) return objects;
    }
    return parseYamlFast(content, file, onDocument) ?? parseYamlExact(content, file);
  } catch (error) {
    if (error instanceof RangeError) throw new ManifestError(file, 0, 'nested too deeply to read');
    throw error;
  }
}

function looksLikeJson(text: string, file: string): boolean {
  if (file.toLowerCase().endsWith('.json')) return true;
  const first = /\S/.exec(text.slice(0, 4096))?.[0];
  return first === '{' || first === '[';
}

/** Progress on a terminal: files, objects and bytes read so far, once reading has taken a while. */
class Progress {
  private readonly started = performance.now();
  private files = 0;
  private bytes = 0;
  private shown = false;
  private lastShown = 0;

  constructor(private readonly options: ReadOptions) {}

  fileDone(bytes: number, objects: number): void {
    this.files++;
    this.bytes += bytes;
    this.tick(objects);
  }

  tick(objects: number): void {
    const { onProgress, progressAfterMs = 1000 } = this.options;
    if (!onProgress) return;
    const now = performance.now();
    if (now - this.started < progressAfterMs || now - this.lastShown < 100) return;
    this.lastShown = now;
    this.shown = true;
    const mb = (this.bytes / 1e6).toFixed(1);
    onProgress(
      `\rreading manifests: ${this.files} file(s), ${mb} MB, ${objects.toLocaleString('en')} objects…`,
    );
  }

  done(): void {
    // Erase the progress line so that what follows starts on a clean line.
    if (this.shown) this.options.onProgress?.('\r\u001b[K');
  }
}
