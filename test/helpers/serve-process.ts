// `mtls-doctor serve` as its own process, as the e2e tests and the burst benchmark run it: HTTP mode on
// loopback ports, Slack's Web API at `slackUrl`, its JSON log lines collected from stderr. Resolves
// once it listens (and, with `ready`, once that holds too).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

const ROOT = join(import.meta.dirname, '../..');

export interface ServeOptions {
  readonly slackUrl: string;
  readonly secret: string;
  readonly token: string;
  readonly env?: NodeJS.ProcessEnv;
  /** The line that says it started (default: the Slack listener's). */
  readonly readyLine?: string;
  /** Waited for after that line (e.g. /readyz answering 200). */
  readonly ready?: (bot: ServeProcess) => boolean | Promise<boolean>;
  readonly timeoutMs?: number;
  /** The CLI to start (default: this repository's bin/mtls-doctor.js). */
  readonly bin?: string;
}

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly port: number;
  /** Where Slack sends requests. */
  readonly url: string;
  readonly opsUrl: string;
  /** Everything the bot has printed so far. */
  logs(): string;
  stop(): void;
}

/** Starts `node bin/mtls-doctor.js <args>` (build first: `npm run build`). */
export async function startServe(args: readonly string[], options: ServeOptions): Promise<ServeProcess> {
  const port = await freePort();
  const opsPort = await freePort();
  const child = spawn(process.execPath, [options.bin ?? join(ROOT, 'bin/mtls-doctor.js'), ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      SLACK_BOT_TOKEN: options.token,
      SLACK_SIGNING_SECRET: options.secret,
      SLACK_API_URL: `${options.slackUrl}/api/`,
      SLACK_APP_TOKEN: '',
      PORT: String(port),
      OPS_PORT: String(opsPort),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Its banner (stdout) and its JSON log lines (stderr), in the order they came.
  let logs = '';
  const collect = (d: Buffer) => {
    logs += d.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const bot: ServeProcess = {
    child,
    port,
    url: `http://127.0.0.1:${port}/slack/events`,
    opsUrl: `http://127.0.0.1:${opsPort}`,
    logs: () => logs,
    stop: () => {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
    },
  };
  const timeoutMs = options.timeoutMs ?? 30_000;
  const started = performance.now();
  const readyLine = options.readyLine ?? 'listening on port';
  const ready = async () => logs.includes(readyLine) && (!options.ready || (await options.ready(bot)));
  while (!(await ready())) {
    if (child.exitCode !== null) throw new Error(`the bot exited (${child.exitCode}): ${logs}`);
    if (performance.now() - started > timeoutMs) {
      bot.stop();
      throw new Error(`the bot did not start within ${timeoutMs} ms: ${logs}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return bot;
}

export interface ServeFolder {
  readonly dir: string;
  /** A copy of examples/mesh, for `serve -f`. */
  readonly mesh: string;
  readonly config: string;
}

/**
 * What a `serve -f` e2e test starts from: a fresh folder holding a copy of examples/mesh and the config
 * `config(dir)` writes (it may put the store in the folder), with the CLI built.
 */
export function serveFolder(prefix: string, config: (dir: string) => string): ServeFolder {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const folder = { dir, mesh: join(dir, 'mesh'), config: join(dir, 'config.yaml') };
  writeFileSync(folder.config, config(dir));
  cpSync(join(ROOT, 'examples/mesh'), folder.mesh, { recursive: true });
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT });
  return folder;
}
