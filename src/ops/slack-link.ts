// The bot's link to Slack as a state, not a start-up precondition: Slack unreachable or refusing a token
// makes /readyz answer 503 with the reason while the link is retried with backoff; every change of state
// is logged once (not every retry), and the bot keeps serving /healthz and /metrics meanwhile.
import type { Logger } from 'pino';

export interface SlackLinkOptions {
  /** Connects (auth.test, and in Socket Mode opens the socket); resolves with a readiness detail. */
  readonly connect: () => Promise<string>;
  /** Once connected: re-checks the token (auth.test); resolves with a readiness detail. */
  readonly recheck: () => Promise<string>;
  readonly logger: Logger;
  readonly onError?: () => void;
  readonly firstRetryMs?: number;
  readonly maxRetryMs?: number;
  readonly recheckMs?: number;
}

export interface SlackLink {
  state(): { readonly ok: boolean; readonly detail: string };
  /** Connected at least once (listeners can answer). */
  connected(): boolean;
  /** Settles after the first attempt, whatever its outcome (so a healthy start is ready at once). */
  readonly firstAttempt: Promise<void>;
  stop(): void;
}

export function startSlackLink(options: SlackLinkOptions): SlackLink {
  const firstRetryMs = options.firstRetryMs ?? 1000;
  const maxRetryMs = options.maxRetryMs ?? 60_000;
  let state = { ok: false, detail: 'connecting to Slack' };
  let connected = false;
  let failures = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const set = (ok: boolean, detail: string, retryInMs?: number) => {
    // "Cannot be reached" comes with varying socket errors (reset, refused, hang up): one state.
    const kind = (d: string) => (d.startsWith('Slack cannot be reached') ? 'unreachable' : d);
    const changed = ok !== state.ok || kind(detail) !== kind(state.detail);
    state = { ok, detail };
    if (!changed) return;
    if (ok) options.logger.info({ slack: detail }, 'Slack ready');
    else
      options.logger.warn(
        { slack: detail, ...(retryInMs !== undefined ? { retryInMs } : {}) },
        'Slack not ready; retrying with backoff',
      );
  };
  const schedule = (ms: number, step: () => Promise<void>) => {
    if (stopped) return;
    timer = setTimeout(() => void step(), ms);
  };

  const attempt = async (): Promise<void> => {
    try {
      const detail = await options.connect();
      connected = true;
      failures = 0;
      set(true, detail);
      schedule(options.recheckMs ?? 60_000, recheck);
    } catch (error) {
      options.onError?.();
      const retryInMs = Math.min(maxRetryMs, firstRetryMs * 2 ** failures++);
      set(false, slackFailure(error), retryInMs);
      schedule(retryInMs, attempt);
    }
  };
  const recheck = async (): Promise<void> => {
    try {
      set(true, await options.recheck());
    } catch (error) {
      options.onError?.();
      set(false, slackFailure(error));
    }
    schedule(options.recheckMs ?? 60_000, recheck);
  };

  const firstAttempt = attempt();
  return {
    firstAttempt,
    state: () => state,
    connected: () => connected,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** One line for readiness and logs: what Slack said (invalid_auth, ...) or why it could not be reached. */
export function slackFailure(error: unknown): string {
  const e = error as { code?: string; data?: { error?: string }; original?: Error; statusCode?: number };
  if (e?.code === 'slack_webapi_platform_error' && e.data?.error) {
    return `Slack refused the token (${e.data.error})`;
  }
  if (e?.code === 'slack_webapi_request_error') {
    // fetch says only "fetch failed"; its cause names the socket error (connect ECONNREFUSED ...).
    const cause = (e.original as { cause?: Error } | undefined)?.cause;
    return `Slack cannot be reached (${cause?.message ?? e.original?.message ?? (error as Error).message})`;
  }
  if (e?.code === 'slack_webapi_http_error') return `Slack answered HTTP ${e.statusCode}`;
  return `Slack: ${(error as Error)?.message ?? String(error)}`;
}
