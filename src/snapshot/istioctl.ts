// istioctl, when installed: `analyze -o json` messages to merge into the diagnosis, and
// `proxy-config secret -o json` for a proxy's live certificate chain. Run with execa and an argument
// array (never a shell, so no user text is ever interpreted), a timeout, and every failure as a gap.
import { constants } from 'node:fs';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Gap } from './types.js';

export interface IstioctlOptions {
  /** An explicit binary (`--istioctl PATH`); otherwise `istioctl` on PATH. */
  readonly path?: string;
  readonly timeoutMs?: number;
  readonly context?: string;
  readonly kubeconfig?: string;
}

/** One message of `istioctl analyze -o json` (istio/istio: pkg/config/analysis/diag/message.go). */
export interface AnalyzeMessage {
  readonly code: string;
  readonly level: 'Error' | 'Warning' | 'Info';
  readonly message: string;
  readonly origin?: string;
  readonly reference?: string;
  readonly documentationUrl?: string;
}

export type IstioctlResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly gap: Gap };

export async function findIstioctl(explicit?: string): Promise<string | undefined> {
  if (explicit) return (await isExecutable(explicit)) ? explicit : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'istioctl');
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function clusterArgs(options: IstioctlOptions): string[] {
  return [
    ...(options.context ? ['--context', options.context] : []),
    ...(options.kubeconfig ? ['--kubeconfig', options.kubeconfig] : []),
  ];
}

async function run(
  binary: string,
  args: string[],
  options: IstioctlOptions,
  what: string,
): Promise<IstioctlResult<string>> {
  const source = `istioctl ${what}`;
  const timeoutMs = options.timeoutMs ?? 60_000;
  // istioctl (or a plugin it starts) can leave a child holding stdout open; killing istioctl alone
  // would leave us waiting for that pipe. So it leads its own process group, and the group is killed.
  // Loaded here, not at the top: execa costs ~0.1 s of start-up that checks without istioctl never use.
  const { execa } = await import('execa');
  const subprocess = execa(binary, args, { reject: false, stdin: 'ignore', detached: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(subprocess.pid);
  }, timeoutMs);
  const result = await subprocess.finally(() => clearTimeout(timer));
  if (timedOut) return { ok: false, gap: { source, reason: `timed out after ${timeoutMs} ms` } };
  if (result.failed || result.exitCode !== 0) {
    const detail = String(result.stderr || result.stdout || '')
      .trim()
      .split('\n')
      .slice(-3)
      .join(' ')
      .slice(0, 300);
    const why =
      result.exitCode !== undefined
        ? `exited with code ${result.exitCode}`
        : (result.shortMessage ?? 'failed');
    return { ok: false, gap: { source, reason: `${why}${detail ? `: ${detail}` : ''}` } };
  }
  return { ok: true, value: String(result.stdout) };
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * `istioctl analyze -o json`: for a live cluster (namespace or all), or for manifest files with
 * `--use-kube=false`. With -o json istioctl exits 0 even when it finds errors.
 */
export async function istioctlAnalyze(
  binary: string,
  scope: {
    readonly namespace?: string;
    readonly files?: readonly string[];
    /** What `-` (stdin) held: istioctl gets it as a temporary file, removed afterwards. */
    readonly stdinText?: string;
  },
  options: IstioctlOptions = {},
): Promise<IstioctlResult<AnalyzeMessage[]>> {
  const piped = scope.files?.includes('-') && scope.stdinText !== undefined;
  const dir = piped ? await mkdtemp(join(tmpdir(), 'mtls-doctor-stdin-')) : undefined;
  try {
    let files = scope.files;
    if (dir) {
      const stdinFile = join(dir, 'stdin.yaml');
      await writeFile(stdinFile, scope.stdinText as string, { mode: 0o600 });
      files = files?.map((f) => (f === '-' ? stdinFile : f));
    }
    return await analyze(binary, { namespace: scope.namespace, files }, options);
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

async function analyze(
  binary: string,
  scope: { readonly namespace?: string; readonly files?: readonly string[] },
  options: IstioctlOptions,
): Promise<IstioctlResult<AnalyzeMessage[]>> {
  const args = ['analyze', '-o', 'json'];
  if (scope.files?.length) args.push('--use-kube=false', ...scope.files);
  else args.push(...clusterArgs(options));
  args.push(...(scope.namespace ? ['-n', scope.namespace] : ['--all-namespaces']));
  const out = await run(binary, args, options, 'analyze');
  if (!out.ok) return out;
  let problem: string | undefined;
  try {
    const parsed: unknown = JSON.parse(out.value || '[]');
    problem = notAnalyzeMessages(parsed);
    if (!problem) return { ok: true, value: parsed as AnalyzeMessage[] };
  } catch (error) {
    problem = (error as Error).message;
  }
  return {
    ok: false,
    gap: { source: 'istioctl analyze', reason: `printed output that is not its JSON format: ${problem}` },
  };
}

const MESSAGE_TEXT = ['code', 'level', 'message'] as const;
const MESSAGE_OPTIONAL = ['origin', 'reference', 'documentationUrl'] as const;

/**
 * Why `value` is not analyze's array of messages (undefined: it is). Checked whole before any message
 * is used: a wrapper script, a plugin or another version printing other JSON must end in a gap, not
 * in a crash on a null item or in findings made of numbers.
 */
function notAnalyzeMessages(value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'not a JSON array';
  for (const [i, item] of value.entries()) {
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      return `item ${i} is ${JSON.stringify(item)?.slice(0, 40)}, not a message object`;
    const message = item as Record<string, unknown>;
    const missing = MESSAGE_TEXT.find((key) => typeof message[key] !== 'string');
    if (missing) return `item ${i} has no text "${missing}"`;
    const odd = MESSAGE_OPTIONAL.find(
      (key) => message[key] !== undefined && typeof message[key] !== 'string',
    );
    if (odd) return `item ${i} has a "${odd}" that is not text`;
  }
  return undefined;
}

/** `istioctl proxy-config secret <pod>.<namespace> -o json`: Envoy's SecretsConfigDump. */
export async function istioctlProxySecret(
  binary: string,
  pod: string,
  namespace: string,
  options: IstioctlOptions = {},
): Promise<IstioctlResult<unknown>> {
  const out = await run(
    binary,
    ['proxy-config', 'secret', `${pod}.${namespace}`, '-o', 'json', ...clusterArgs(options)],
    options,
    `proxy-config secret ${pod}.${namespace}`,
  );
  if (!out.ok) return out;
  try {
    return { ok: true, value: JSON.parse(out.value) };
  } catch (error) {
    return {
      ok: false,
      gap: {
        source: `istioctl proxy-config secret ${pod}.${namespace}`,
        reason: `unreadable JSON: ${(error as Error).message}`,
      },
    };
  }
}
