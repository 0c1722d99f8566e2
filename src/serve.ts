// `mtls-doctor serve`: the Slack bot. Socket Mode when SLACK_APP_TOKEN is set (no public endpoint);
// otherwise HTTP on PORT with Slack's request signature verified (v0 HMAC-SHA256). Bolt checks the
// signature and rejects stale timestamps; we also reject timestamps from the future before Bolt sees
// the request (design.md §6).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { BotDeps } from './commands/deps.js';
import { registerListeners } from './commands/index.js';
import type { BotConfig } from './config.js';

export const EVENTS_PATH = '/slack/events';
const MAX_SKEW_SECONDS = 5 * 60;

export interface RunningBot {
  readonly mode: 'http' | 'socket';
  readonly port?: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly logLevel?: LogLevel;
  readonly now?: () => number;
}

export async function startBot(
  config: BotConfig,
  deps: Omit<BotDeps, 'config'>,
  options: StartOptions = {},
): Promise<RunningBot> {
  const clientOptions = {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    // Bolt's default is 10 retries with a paused queue on 429; an incident bot should answer or fail fast.
    retryConfig: { retries: 2, factor: 1.5, minTimeout: 200, maxTimeout: 2000 },
  };
  const logLevel = options.logLevel ?? LogLevel.WARN;
  if (config.slack.appToken) {
    const app = new App({
      token: config.slack.botToken,
      appToken: config.slack.appToken,
      socketMode: true,
      clientOptions,
      logLevel,
    });
    registerListeners(app, { ...deps, config });
    await app.start();
    return { mode: 'socket', stop: () => app.stop() as Promise<void> };
  }
  const receiver = new HTTPReceiver({
    signingSecret: config.slack.signingSecret as string,
    endpoints: EVENTS_PATH,
    processBeforeResponse: false,
    logLevel,
  });
  const app = new App({ token: config.slack.botToken, receiver, clientOptions, logLevel });
  registerListeners(app, { ...deps, config });
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
    stop: () => close(server),
  };
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
