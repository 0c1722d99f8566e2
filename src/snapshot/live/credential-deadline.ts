// Credentials inside the request's deadline. client-node resolves them (an exec plugin such as
// `aws eks get-token` or kubelogin) before a request starts, with no timeout of its own: a plugin that
// never answers would hang every command before any request timeout is even armed. Here the time a
// plugin may take counts towards the request timeout, and a plugin that overruns it is killed.
import { type ChildProcess, spawn } from 'node:child_process';
import type { KubeConfig, RequestContext } from '@kubernetes/client-node';
import { ClusterUnavailableError } from '../errors.js';

/** The exec plugin failed or gave no credentials in time: nothing can be read with this kubeconfig. */
export class CredentialError extends ClusterUnavailableError {}

interface Bound {
  timeoutMs: number | undefined;
}

const bound = new WeakMap<KubeConfig, Bound>();

/**
 * Makes `config` resolve credentials within `timeoutMs` (and within the request's own abort signal,
 * when the request carries one): both public entry points client-node's clients go through are
 * wrapped, the plain-JSON reads and watches (applyToHTTPSOptions) and the generated and object APIs
 * (applySecurityAuthentication). Idempotent: a second call only changes the timeout.
 */
export function boundCredentials(config: KubeConfig, timeoutMs?: number): KubeConfig {
  const existing = bound.get(config);
  if (existing) {
    existing.timeoutMs = timeoutMs ?? existing.timeoutMs;
    return config;
  }
  const state: Bound = { timeoutMs };
  bound.set(config, state);
  trackExecPlugins(config);
  const applyToHTTPSOptions = config.applyToHTTPSOptions.bind(config);
  const applySecurityAuthentication = config.applySecurityAuthentication.bind(config);
  config.applyToHTTPSOptions = (options) =>
    withinDeadline(config, () => applyToHTTPSOptions(options), state.timeoutMs);
  config.applySecurityAuthentication = (context: RequestContext) =>
    withinDeadline(config, () => applySecurityAuthentication(context), state.timeoutMs, context.getSignal());
  return config;
}

// The plugin processes started by the credential call running right now. client-node starts the
// plugin synchronously inside that call (no await comes before its spawn), so whatever is spawned
// while the call is on the stack is that call's: a deadline kills its own plugin, never another
// request's. Should client-node ever spawn later, nothing is collected and the deadline still holds.
let collecting: ChildProcess[] | undefined;

// ExecAuth (the authenticator of `users[].user.exec`) spawns through its `execFn` field: routing it
// through here lets a deadline kill the plugin it gave up on instead of leaving it running. Its
// failures (the plugin's stderr, or a JSON parse error) do not say they came from the plugin: they
// are named here, where nothing else can have failed. Both fields are client-node 1.x internals: were
// they gone, the deadline would still hold, only without stopping the plugin or naming its failure.
function trackExecPlugins(config: KubeConfig): void {
  const authenticators = (config as unknown as { authenticators?: unknown[] }).authenticators ?? [];
  for (const authenticator of authenticators) {
    const auth = authenticator as { execFn?: unknown; applyAuthentication?: unknown };
    if (typeof auth.execFn !== 'function' || typeof auth.applyAuthentication !== 'function') continue;
    auth.execFn = (...args: Parameters<typeof spawn>) => {
      const child = spawn(...args);
      collecting?.push(child);
      return child;
    };
    const authenticate = (auth.applyAuthentication as (...args: unknown[]) => Promise<void>).bind(auth);
    auth.applyAuthentication = (...args: unknown[]) =>
      authenticate(...args).catch((error: unknown) => {
        throw pluginFailed(config, error);
      });
  }
}

async function withinDeadline<T>(
  config: KubeConfig,
  resolve: () => Promise<T>,
  timeoutMs: number | undefined,
  signal?: AbortSignal,
): Promise<T> {
  const spawned: ChildProcess[] = [];
  collecting = spawned;
  let pending: Promise<T>;
  try {
    pending = resolve();
  } finally {
    collecting = undefined;
  }
  if (timeoutMs === undefined && !signal) return pending;
  return new Promise<T>((settle, fail) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', expire);
    };
    function expire() {
      done();
      for (const child of spawned) if (child.exitCode === null) child.kill('SIGKILL');
      fail(new CredentialError(noCredentials(config, timeoutMs, spawned.length > 0)));
    }
    const timer = timeoutMs === undefined ? undefined : setTimeout(expire, timeoutMs);
    if (signal?.aborted) return expire();
    signal?.addEventListener('abort', expire, { once: true });
    pending.then(
      (value) => {
        done();
        settle(value);
      },
      (error: unknown) => {
        done();
        fail(error);
      },
    );
  });
}

/** What did not answer: the exec plugin by its command, else the kubeconfig's credentials. */
function noCredentials(config: KubeConfig, timeoutMs: number | undefined, killed: boolean): string {
  const within = timeoutMs === undefined ? 'within the request timeout' : `within ${timeoutMs} ms`;
  return `${credentialSource(config)} gave no credentials ${within}${killed ? ' and was stopped' : ''}: it hangs or waits for a login (--request-timeout gives it longer)`;
}

// client-node rejects with the plugin's stderr (often several lines, or empty) or a JSON parse error,
// neither saying it came from the plugin: the one line names it.
function pluginFailed(config: KubeConfig, error: unknown): CredentialError {
  const detail = String((error as Error)?.message ?? error)
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(0, 3)
    .join(' ')
    .slice(0, 300);
  return new CredentialError(`${credentialSource(config)} failed: ${detail || 'no message'}`);
}

function credentialSource(config: KubeConfig): string {
  const user = config.getCurrentUser();
  const command: unknown = user?.exec?.command ?? user?.authProvider?.config?.exec?.command;
  return typeof command === 'string'
    ? `the exec credential plugin "${command}" (kubeconfig user "${user?.name}")`
    : `the credentials of kubeconfig user "${user?.name}"`;
}
