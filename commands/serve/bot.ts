// `mtls-doctor serve`: the Slack bot. Socket Mode when SLACK_APP_TOKEN is set (no public endpoint);
// otherwise HTTP on PORT with Slack's request signature verified (v0 HMAC-SHA256). Bolt checks the
// signature and rejects stale timestamps; we also reject timestamps from the future before Bolt sees
// the request (design.md §6).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { BotConfig } from '../../src/config.js';
import { boltLogger } from '../../src/ops/logger.js';
import { scheduleDigests } from '../../src/slack/digest-scheduler.js';
import { buildDigestMessage } from '../../src/slack/digest-service.js';
import type { BotDeps } from './deps.js';
import { registerListeners } from './index.js';
import { postWithThread } from './post.js';

export const EVENTS_PATH = '/slack/events';
const MAX_SKEW_SECONDS = 5 * 60;

export interface RunningBot {
  readonly mode: 'http' | 'socket';
  readonly port?: number;
  /** Whether Slack accepted the bot token (auth.test) and, in Socket Mode, the socket is up. */
  slackReady(): { ok: boolean; detail: string };
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly logLevel?: LogLevel;
  readonly now?: () => number;
}

/** The Web API client's options, shared by Bolt's client and the tests of how it handles Slack's errors. */
export function slackClientOptions(config: BotConfig) {
  return {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    // Bolt's default is 10 retries with a paused queue on 429; an incident bot should answer or fail fast.
    retryConfig: { retries: 2, factor: 1.5, minTimeout: 200, maxTimeout: 2000 },
  };
}

// Bolt's own eager auth.test rejects unhandled and kills the process when Slack refuses the token at
// start; watchAuth checks the token instead and readiness reports it.
const LAZY_TOKEN_CHECK = { tokenVerificationEnabled: false } as const;

export async function startBot(
  config: BotConfig,
  deps: Omit<BotDeps, 'config'>,
  options: StartOptions = {},
): Promise<RunningBot> {
  const clientOptions = slackClientOptions(config);
  const logLevel = options.logLevel ?? LogLevel.WARN;
  const logger = boltLogger(deps.logger);
  if (config.slack.appToken) {
    const app = new App({
      token: config.slack.botToken,
      appToken: config.slack.appToken,
      socketMode: true,
      clientOptions,
      ...LAZY_TOKEN_CHECK,
      logLevel,
      logger,
    });
    registerListeners(app, { ...deps, config });
    await app.start();
    const ready = watchAuth(app, deps);
    const scheduler = scheduleFor(app, config, deps);
    return {
      mode: 'socket',
      slackReady: ready,
      stop: async () => {
        scheduler.stop();
        await app.stop();
      },
    };
  }
  const receiver = new HTTPReceiver({
    signingSecret: config.slack.signingSecret as string,
    endpoints: EVENTS_PATH,
    processBeforeResponse: false,
    logLevel,
  });
  const app = new App({
    token: config.slack.botToken,
    receiver,
    clientOptions,
    ...LAZY_TOKEN_CHECK,
    logLevel,
    logger,
  });
  registerListeners(app, { ...deps, config });
  const ready = watchAuth(app, deps);
  const scheduler = scheduleFor(app, config, deps);
  const now = options.now ?? (() => Date.now());
  const server = createServer((req, res) => {
    if (!(req.url ?? '').startsWith(EVENTS_PATH)) return notFound(res);
    if (!timestampIsFresh(req, now())) return unauthorized(res);
    receiver.requestListener(req, res);
  });
  await listen(server, config.port);
  return {
    mode: 'http',
    port: (server.address() as AddressInfo).port,
    slackReady: ready,
    stop: async () => {
      scheduler.stop();
      await close(server);
    },
  };
}

function scheduleFor(app: App, config: BotConfig, deps: Omit<BotDeps, 'config'>): { stop(): void } {
  return scheduleDigests(config.digests, {
    store: deps.store,
    holder: process.env.HOSTNAME ?? `pid-${process.pid}`,
    post: async (channel) => {
      const posture = await deps.engine.posture();
      const { message } = await buildDigestMessage(posture, deps.store, {
        save: true,
        prometheusUrl: config.prometheusUrl,
      });
      await postWithThread(app.client, channel, message);
      deps.metrics.checks.inc({ command: 'scheduled-digest', outcome: 'posted' });
    },
    onError: (channel, error) => {
      deps.metrics.checks.inc({ command: 'scheduled-digest', outcome: 'failed' });
      deps.logger.error({ channel, err: error.message }, 'scheduled digest failed');
    },
  });
}

// Readiness follows whether Slack accepts the token; checked at start and every minute after.
function watchAuth(app: App, deps: Omit<BotDeps, 'config'>): () => { ok: boolean; detail: string } {
  let state = { ok: false, detail: 'auth.test not answered yet' };
  const check = () =>
    app.client.auth.test().then(
      (r) => {
        state = { ok: true, detail: `authenticated as ${r.user ?? r.user_id} in ${r.team ?? r.team_id}` };
      },
      (error: Error) => {
        deps.metrics.slackErrors.inc({ method: 'auth.test' });
        state = { ok: false, detail: `Slack refused the bot token or cannot be reached: ${error.message}` };
      },
    );
  void check();
  setInterval(check, 60_000).unref();
  return () => state;
}

/** Slack signs `v0:<timestamp>:<body>`; a timestamp more than five minutes off either way is refused. */
function timestampIsFresh(req: IncomingMessage, nowMs: number): boolean {
  const header = req.headers['x-slack-request-timestamp'];
  const timestamp = Number(Array.isArray(header) ? header[0] : header);
  return Number.isInteger(timestamp) && Math.abs(nowMs / 1000 - timestamp) <= MAX_SKEW_SECONDS;
}

function unauthorized(res: ServerResponse): void {
  res.writeHead(401, { 'content-type': 'text/plain' });
  res.end('request signature or timestamp not accepted');
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found');
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
