// `diff --base-ref GITREF`: the -f paths as they are at a git ref of the current checkout, written to
// a temporary folder laid out like the repository, so file:line locations read the same as in the
// working tree. git runs with an argument list (never a shell).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  const listed = (
    await git(['ls-tree', '-r', '-z', '--name-only', ref, '--', ...relPaths.map((p) => p || '.')], root)
  ).stdout
    .toString()
    .split('\0')
    .filter(Boolean);
  const copy = temporaryFolder();
  try {
    for (const file of listed) {
      const content = (await git(['show', `${ref}:${file}`], root, 'buffer')).stdout as Uint8Array;
      const target = join(copy, ...file.split('/'));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
    const present = relPaths
      .filter((p) => p === '' || listed.some((f) => f === p || f.startsWith(`${p}/`)))
      .map((p) => join(copy, ...p.split('/')));
    const cwdCopy = join(copy, relative(root, resolve(cwd)));
    mkdirSync(cwdCopy, { recursive: true });
    // Nothing of it existed at the ref (new files): the caller compares with an empty base.
    return { cwd: cwdCopy, paths: present, cleanup: () => rmSync(copy, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(copy, { recursive: true, force: true });
    throw error;
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
