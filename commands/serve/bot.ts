// `mtls-doctor serve`: the Slack bot. Socket Mode when SLACK_APP_TOKEN is set (no public endpoint);
// otherwise HTTP on PORT with Slack's request signature verified (v0 HMAC-SHA256). Bolt checks the
// signature and rejects stale timestamps; we also reject timestamps from the future before Bolt sees
// the request (design.md §6).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { BotConfig } from '../../src/config.js';
import { boltLogger } from '../../src/ops/logger.js';
import { startSlackLink } from '../../src/ops/slack-link.js';
import type { BotDeps } from './deps.js';
import { registerListeners } from './index.js';
import { startScheduledDigests } from './scheduled-digests.js';

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
  /** First delay before connecting to Slack again (doubling up to a minute); tests shorten it. */
  readonly firstRetryMs?: number;
}

/** The Web API client's options, shared by Bolt's client and the tests of how it handles Slack's errors. */
export function slackClientOptions(config: BotConfig) {
  return {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    // Bolt's default is 10 retries with a paused queue on 429; an incident bot should answer or fail fast.
    retryConfig: { retries: 2, factor: 1.5, minTimeout: 200, maxTimeout: 2000 },
  };
}

export async function startBot(
  config: BotConfig,
  deps: Omit<BotDeps, 'config'>,
  options: StartOptions = {},
): Promise<RunningBot> {
  const clientOptions = slackClientOptions(config);
  const logLevel = options.logLevel ?? LogLevel.WARN;
  // Every Bolt, receiver and socket logger writes through pino: one JSON line each, secrets redacted.
  const logger = boltLogger(deps.logger);
  const linkOptions = {
    logger: deps.logger,
    onError: () => deps.metrics.slackErrors.inc({ method: 'auth.test' }),
    firstRetryMs: options.firstRetryMs,
  };
  if (config.slack.appToken) {
    // deferInitialization: Bolt's constructor would call auth.test with no one to catch its failure.
    const app = new App({
      token: config.slack.botToken,
      appToken: config.slack.appToken,
      socketMode: true,
      clientOptions,
      logLevel,
      logger,
      deferInitialization: true,
      // No listener reads context.conversation: skip Bolt's per-request conversation store lookup.
      convoStore: false,
    });
    registerListeners(app, { ...deps, config });
    let initialized = false;
    const link = startSlackLink({
      ...linkOptions,
      connect: async () => {
        const detail = await authDetail(app);
        if (!initialized) {
          await app.init();
          initialized = true;
        }
        // Throws on invalid_auth of the app token (or Slack unreachable): retried by the link.
        await app.start();
        return `${detail}; Socket Mode connected`;
      },
      recheck: () => authDetail(app),
    });
    const scheduler = startScheduledDigests(app.client, { ...deps, config });
    await link.firstAttempt;
    return {
      mode: 'socket',
      slackReady: link.state,
      stop: async () => {
        link.stop();
        scheduler.stop();
        if (link.connected()) await app.stop();
      },
    };
  }
  const receiver = new HTTPReceiver({
    signingSecret: config.slack.signingSecret as string,
    endpoints: EVENTS_PATH,
    processBeforeResponse: false,
    logLevel,
    logger,
  });
  const app = new App({
    token: config.slack.botToken,
    receiver,
    clientOptions,
    logLevel,
    logger,
    deferInitialization: true,
    convoStore: false,
  });
  registerListeners(app, { ...deps, config });
  const link = startSlackLink({
    ...linkOptions,
    connect: async () => {
      const detail = await authDetail(app);
      await app.init();
      return detail;
    },
    recheck: () => authDetail(app),
  });
  const scheduler = startScheduledDigests(app.client, { ...deps, config });
  const now = options.now ?? (() => Date.now());
  const server = createServer((req, res) => {
    if (!(req.url ?? '').startsWith(EVENTS_PATH)) return notFound(res);
    if (!timestampIsFresh(req, now())) return unauthorized(res);
    // Until Slack accepted the token once, Bolt cannot answer; Slack retries what gets a 503, and that
    // retry is handled (retries.ts drops only retries of deliveries accepted before).
    if (!link.connected()) return notReady(res, link.state().detail);
    receiver.requestListener(req, res);
  });
  await listen(server, config.port);
  await link.firstAttempt;
  return {
    mode: 'http',
    port: (server.address() as AddressInfo).port,
    slackReady: link.state,
    stop: async () => {
      link.stop();
      scheduler.stop();
      await close(server);
    },
  };
}

async function authDetail(app: App): Promise<string> {
  const r = await app.client.auth.test();
  return `authenticated as ${r.user ?? r.user_id} in ${r.team ?? r.team_id}`;
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

function notReady(res: ServerResponse, detail: string): void {
  res.writeHead(503, { 'content-type': 'text/plain' });
  res.end(`not connected to Slack yet: ${detail}`);
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
