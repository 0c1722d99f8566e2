// `diff --base-ref GITREF`: the -f paths as they are at a git ref of the current checkout, written to
// a temporary folder laid out like the repository, so file:line locations read the same as in the
// working tree. git runs with an argument list (never a shell).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { execa } from 'execa';

export class GitBaseError extends Error {}

export interface GitBase {
  /** The folder standing for the user's working directory, inside the temporary copy. */
  readonly cwd: string;
  /** Each -f path's counterpart at the ref; paths absent at the ref are left out (none: an empty base). */
  readonly paths: readonly string[];
  cleanup(): void;
}

async function git(args: readonly string[], cwd: string, encoding: 'utf8' | 'buffer' = 'utf8') {
  try {
    return await execa('git', args, { cwd, encoding, stripFinalNewline: false });
  } catch (error) {
    const e = error as { code?: string; stderr?: string | Uint8Array; shortMessage?: string };
    if (e.code === 'ENOENT') throw new GitBaseError('--base-ref needs git on PATH');
    const stderr = typeof e.stderr === 'string' ? e.stderr.trim().split('\n')[0] : '';
    throw new GitBaseError(stderr || e.shortMessage || String(error));
  }
}

export async function checkoutAtRef(ref: string, files: readonly string[], cwd: string): Promise<GitBase> {
  if (ref.startsWith('-')) throw new GitBaseError(`--base-ref ${ref}: not a git revision`);
  let root: string;
  try {
    root = (await git(['rev-parse', '--show-toplevel'], cwd)).stdout.toString().trim();
  } catch {
    throw new GitBaseError(
      `--base-ref needs a git checkout, and ${cwd === process.cwd() ? 'the current folder' : 'the working folder'} is not inside one`,
    );
  }
  try {
    await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], root);
  } catch {
    throw new GitBaseError(
      `--base-ref ${ref}: no such commit in this repository (fetch it first, e.g. git fetch origin main)`,
    );
  }
  const relPaths = files.map((f) => {
    const rel = relative(root, resolve(cwd, f));
    if (rel.startsWith('..') || isAbsolute(rel))
      throw new GitBaseError(`-f ${f} is outside the git checkout`);
    return rel.split(sep).join('/');
  });
  const copy = temporaryFolder();
  try {
    const tree = new TreeAtRef(ref, root, copy);
    const present: string[] = [];
    for (const p of relPaths) if (await tree.copy(p)) present.push(join(copy, ...p.split('/')));
    const cwdCopy = join(copy, relative(root, resolve(cwd)));
    mkdirSync(cwdCopy, { recursive: true });
    // Nothing of it existed at the ref (new files): the caller compares with an empty base.
    return { cwd: cwdCopy, paths: present, cleanup: () => rmSync(copy, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(copy, { recursive: true, force: true });
    throw error;
  }
}

const SYMLINK_MODE = '120000';
const SUBMODULE_MODE = '160000';

interface TreeEntry {
  readonly mode: string;
  readonly object: string;
  readonly path: string;
}

/**
 * Writes paths of the repository as they are at `ref` into a folder laid out as the repository. A
 * symbolic link is written as a link, and what it points to at the ref is copied too, so the manifest
 * reader follows it as it does in the working tree (same file:line names, same loops and broken
 * links). Paths are literal (--literal-pathspecs): a `*` or `:(top)` in a name is no pattern.
 */
class TreeAtRef {
  /** Paths asked for, and entries written: a link's target may be asked for again, or lie inside another. */
  private readonly copied = new Set<string>();
  private readonly written = new Set<string>();

  constructor(
    private readonly ref: string,
    private readonly root: string,
    private readonly into: string,
  ) {}

  /** Copies `path` (a file, a link or a folder, '' for all); false when it does not exist at the ref. */
  async copy(path: string): Promise<boolean> {
    if (this.copied.has(path)) return true;
    this.copied.add(path);
    const entries = await this.list(path, true);
    for (const entry of entries) await this.write(entry);
    return entries.length > 0 || (await this.copyThroughLink(path));
  }

  // `a/b/c` where `a/b` is a link at the ref: git lists nothing under `a/b/c`; the link leads there.
  private async copyThroughLink(path: string): Promise<boolean> {
    const parts = path.split('/');
    for (let n = 1; n < parts.length; n++) {
      const prefix = parts.slice(0, n).join('/');
      const [entry] = await this.list(prefix, false);
      if (entry === undefined) return false;
      if (entry.mode === SYMLINK_MODE) return this.copy(prefix);
    }
    return false;
  }

  private async write(entry: TreeEntry): Promise<void> {
    // A submodule's files are another repository's history: not part of this checkout's base.
    if (entry.mode === SUBMODULE_MODE || this.written.has(entry.path)) return;
    this.written.add(entry.path);
    const target = join(this.into, ...entry.path.split('/'));
    mkdirSync(dirname(target), { recursive: true });
    const content = (await git(['cat-file', 'blob', entry.object], this.root, 'buffer')).stdout as Uint8Array;
    if (entry.mode !== SYMLINK_MODE) {
      writeFileSync(target, content);
      return;
    }
    const pointsTo = Buffer.from(content).toString('utf8');
    const inRepository = this.linkTarget(entry.path, pointsTo);
    symlinkSync(relative(dirname(target), join(this.into, ...inRepository.split('/'))) || '.', target);
    await this.copy(inRepository);
  }

  /** The repository path a link at `path` points to; outside the repository is an error. */
  private linkTarget(path: string, pointsTo: string): string {
    const rel = relative(this.root, resolve(this.root, dirname(path), pointsTo));
    if (rel.startsWith('..') || isAbsolute(rel))
      throw new GitBaseError(
        `--base-ref ${this.ref}: ${path} is a symbolic link to ${pointsTo}, outside the repository; the base is read from the repository at the ref only`,
      );
    return rel.split(sep).join('/');
  }

  private async list(path: string, recursive: boolean): Promise<TreeEntry[]> {
    const args = ['--literal-pathspecs', 'ls-tree', '-z', ...(recursive ? ['-r'] : [])];
    const out = (await git([...args, this.ref, '--', path || '.'], this.root)).stdout.toString();
    return out
      .split('\0')
      .filter(Boolean)
      .map((record) => {
        // "<mode> <type> <object>\t<path>"
        const tab = record.indexOf('\t');
        const [mode = '', , object = ''] = record.slice(0, tab).split(' ');
        return { mode, object, path: record.slice(tab + 1) };
      })
      .filter((e) => recursive || e.path === path);
  }
}

function temporaryFolder(): string {
  try {
    return mkdtempSync(join(tmpdir(), 'mtls-doctor-base-'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new GitBaseError(
      `--base-ref writes the base's files to a temporary folder, and ${tmpdir()} is not writable (${code}): set TMPDIR to a writable folder`,
    );
  }
}
