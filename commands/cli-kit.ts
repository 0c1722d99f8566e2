// What every command module shares: the exit codes, the output seam, the errors that map to them and
// option parsers. Kept free of heavy imports: `bin/` loads it before it knows which command runs.
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';

/** design.md §2: 0 no error-level finding, 1 error findings, 2 bad usage or input, 3 could not complete. */
export const EXIT = { ok: 0, findings: 1, usage: 2, incomplete: 3 } as const;

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly isTty: boolean;
  readonly cwd: string;
  readonly now?: Date;
  /** What `-f -` reads (default: process.stdin). */
  readonly stdin?: () => Promise<string>;
  /** Resolves once written output has drained (long outputs wait on it between pieces). */
  drain?(): Promise<void>;
}

// A reader that stops early (`| head`, a pager quit) closes the pipe: the rest of the output is dropped
// and the command still ends with its own exit code, instead of an unhandled EPIPE's stack trace.
let stdoutClosed = false;
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  stdoutClosed = true;
});

export const defaultIo: Io = {
  stdout: (t) => {
    if (!stdoutClosed) process.stdout.write(t);
  },
  stderr: (t) => process.stderr.write(t),
  isTty: !!process.stdout.isTTY && !process.env.NO_COLOR,
  cwd: process.cwd(),
  drain: async () => {
    if (stdoutClosed || !process.stdout.writableNeedDrain) return;
    // Resolves on 'drain', or on the pipe closing meanwhile (then the handler above has marked it).
    await new Promise<void>((resolve) => {
      const done = () => {
        process.stdout.off('drain', done);
        process.stdout.off('error', done);
        process.stdout.off('close', done);
        resolve();
      };
      process.stdout.on('drain', done).on('error', done).on('close', done);
    });
  },
};

/** Writes a long output piece by piece, waiting for the terminal or pipe to take each. */
export async function writeChunks(io: Io, chunks: Iterable<string>): Promise<void> {
  for (const chunk of chunks) {
    io.stdout(chunk);
    await io.drain?.();
  }
}

/** A bad argument or input: exit 2 with this message. */
export class UsageError extends Error {}
/** The check could not run at all: exit 3. */
export class IncompleteError extends Error {}

/** What a command module gets: where to write, and how to set the process's exit code. */
export interface CommandContext {
  readonly io: Io;
  readonly version: string;
  /** The command's one-line description, kept in main's registry for the overall help. */
  readonly description: string;
  setExit(code: number): void;
}

/** One user-facing command: adds itself (options, action) to the program. */
export interface CommandModule {
  register(program: Command, context: CommandContext): void;
}

export function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

/** Node's timers hold at most 2^31-1 ms (~24.8 days); a longer delay fires at once. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/** A timeout in milliseconds: a positive whole number a timer can hold. */
export function parseTimeout(value: string): number {
  const n = parseCount(value);
  if (n > MAX_TIMEOUT_MS)
    throw new InvalidArgumentError(`expected at most ${MAX_TIMEOUT_MS} ms (about 24 days)`);
  return n;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * The package version, from the sources (`commands/`), tsc's build (`dist/commands/`) or the bundle
 * (`dist/cli/`): package.json is one or two folders up.
 */
export function packageVersion(): string {
  for (const candidate of ['../package.json', '../../package.json']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(url)) return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  }
  return '0.0.0';
}

/**
 * A SQLite file named by a setting (`store.path`, `--state`): a missing directory or a file that is
 * not a database is bad input naming that setting, not a SqliteError stack trace.
 */
export function openStore<T>(setting: string, path: string, open: (path: string) => T): T {
  try {
    return open(path);
  } catch (error) {
    const message = (error as Error).message;
    const reason = /directory does not exist/i.test(message)
      ? `the directory ${dirname(path)} does not exist`
      : message.charAt(0).toLowerCase() + message.slice(1);
    throw new UsageError(`${setting} ${path}: ${reason}`);
  }
}
