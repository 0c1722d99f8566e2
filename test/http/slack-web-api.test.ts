// Slack's Web API failing in the ways it does (429 with Retry-After, invalid_auth, 5xx), mocked at the
// HTTP layer with nock, against the bot's own Web API client options: what the readiness state says
// and what a post does. The whole bot against a loopback Slack is in test/e2e.
import { LogLevel } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import nock from 'nock';
import pino from 'pino';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RunningBot, slackClientOptions, startBot } from '../../commands/serve/bot.js';
import { postWithThread } from '../../commands/serve/post.js';
import type { BotConfig } from '../../src/config.js';
import { BotMetrics } from '../../src/ops/metrics.js';

const SLACK = 'https://slack.com';
const config: BotConfig = {
  port: 0,
  opsPort: 0,
  slack: { botToken: 'xoxb-nock-token', signingSecret: 'nock-signing-secret' },
  access: { channels: {} },
  kubernetes: undefined,
  digests: [],
  storePath: ':memory:',
  approvers: { users: [], requestTtlMs: 60_000 },
};
const authOk = { ok: true, user: 'mtls-doctor', user_id: 'U0BOT', team: 'Payments', team_id: 'T0PAY' };
const message = {
  text: 'mTLS check of payments',
  blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'summary' } }],
  thread: [{ text: 'details', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'details' } }] }],
};

interface Hit {
  readonly at: number;
  readonly args: URLSearchParams;
}
/** Records when each request came and what it carried (the Web API posts form-encoded bodies). */
function hits() {
  const list: Hit[] = [];
  const record = (body: unknown) => list.push({ at: Date.now(), args: new URLSearchParams(String(body)) });
  return { list, record };
}

beforeAll(() => {
  // Nothing reaches the real Slack; the bot's own HTTP server (not used here) may listen on loopback.
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});

let bot: RunningBot | undefined;
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
  nock.cleanAll();
});

/** The real startBot in HTTP mode; its readiness follows auth.test through Bolt's client. */
async function startWithAuthAnswers(): Promise<{ bot: RunningBot; metrics: BotMetrics }> {
  const metrics = new BotMetrics();
  const deps = {
    logger: pino({ level: 'silent' }),
    metrics,
    // Not reached: no Slack event is sent to the bot in these tests.
    engine: {} as never,
    plans: {} as never,
    store: {} as never,
    throttle: {} as never,
  };
  bot = await startBot(config, deps, { logLevel: LogLevel.ERROR });
  return { bot, metrics };
}

async function slackErrorCount(metrics: BotMetrics): Promise<number> {
  const metric = await metrics.slackErrors.get();
  return metric.values.find((v) => v.labels.method === 'auth.test')?.value ?? 0;
}

describe('readiness: auth.test against Slack', () => {
  it('invalid_auth is not retried by the Web API client and readiness says Slack refused the token', async () => {
    const calls = hits();
    nock(SLACK)
      .post('/api/auth.test')
      .reply(200, (_uri, body) => {
        calls.record(body);
        return { ok: false, error: 'invalid_auth' };
      });
    // Only a retry would reach this one; it must stay unused.
    const retry = nock(SLACK).post('/api/auth.test').reply(200, authOk);
    const { bot, metrics } = await startWithAuthAnswers();
    await vi.waitFor(() => expect(bot.slackReady().detail).toContain('invalid_auth'));
    expect(bot.slackReady().ok).toBe(false);
    expect(bot.slackReady().detail).toMatch(/Slack refused the token/);
    expect(calls.list).toHaveLength(1);
    expect(calls.list[0]?.args.get('token')).toBeNull(); // the token travels in the header, not the body
    expect(retry.isDone()).toBe(false);
    expect(await slackErrorCount(metrics)).toBe(1);
  });

  it('429 with Retry-After: waits the given seconds, asks again and becomes ready', async () => {
    const calls = hits();
    nock(SLACK)
      .post('/api/auth.test')
      .reply(
        429,
        (_uri, body) => {
          calls.record(body);
          return { ok: false, error: 'ratelimited' };
        },
        { 'Retry-After': '1' },
      )
      .post('/api/auth.test')
      .reply(200, (_uri, body) => {
        calls.record(body);
        return authOk;
      });
    // Bolt's own initialisation asks once more after the bot's check succeeded.
    nock(SLACK).persist().post('/api/auth.test').reply(200, authOk);
    const { bot, metrics } = await startWithAuthAnswers();
    await vi.waitFor(() => expect(bot.slackReady().ok).toBe(true), { timeout: 5000 });
    expect(bot.slackReady().detail).toBe('authenticated as mtls-doctor in Payments');
    expect(calls.list).toHaveLength(2);
    // The second attempt honours Retry-After (1 s), not just the client's 200 ms backoff.
    expect((calls.list[1]?.at ?? 0) - (calls.list[0]?.at ?? 0)).toBeGreaterThanOrEqual(990);
    expect(await slackErrorCount(metrics)).toBe(0);
  });

  it('5xx is retried twice (the bot retry config), then readiness reports the HTTP status', async () => {
    const calls = hits();
    nock(SLACK)
      .post('/api/auth.test')
      .times(3)
      .reply(503, (_uri, body) => {
        calls.record(body);
        return 'upstream unavailable';
      });
    // Bolt's default (10 retries over ~30 minutes) would go on to this one.
    const fourth = nock(SLACK).post('/api/auth.test').reply(200, authOk);
    const { bot } = await startWithAuthAnswers();
    await vi.waitFor(() => expect(bot.slackReady().detail).toContain('503'), { timeout: 5000 });
    expect(bot.slackReady().ok).toBe(false);
    expect(bot.slackReady().detail).toMatch(/Slack answered HTTP 503/);
    expect(calls.list).toHaveLength(3);
    expect(fourth.isDone()).toBe(false);
  });
});

describe('posting a message and its thread with the bot client options', () => {
  const client = () =>
    new WebClient(config.slack.botToken, { ...slackClientOptions(config), logLevel: LogLevel.ERROR });

  it('a 429 on the thread reply is waited out and the reply still lands in the thread', async () => {
    const calls = hits();
    nock(SLACK)
      .post('/api/chat.postMessage')
      .reply(200, (_uri, body) => {
        calls.record(body);
        return { ok: true, channel: 'C0INCIDENT', ts: '1700000000.000100' };
      })
      .post('/api/chat.postMessage')
      .reply(
        429,
        (_uri, body) => {
          calls.record(body);
          return { ok: false, error: 'ratelimited' };
        },
        { 'Retry-After': '1' },
      )
      .post('/api/chat.postMessage')
      .reply(200, (_uri, body) => {
        calls.record(body);
        return { ok: true, channel: 'C0INCIDENT', ts: '1700000000.000200' };
      });
    const posted = await postWithThread(client(), 'C0INCIDENT', message);
    expect(posted).toEqual({ ts: '1700000000.000100' });
    expect(calls.list.map((c) => c.args.get('thread_ts'))).toEqual([
      null,
      '1700000000.000100',
      '1700000000.000100',
    ]);
    expect(calls.list[2]?.args.get('text')).toBe('details');
    expect((calls.list[2]?.at ?? 0) - (calls.list[1]?.at ?? 0)).toBeGreaterThanOrEqual(990);
  });

  it('invalid_auth fails the post at once with an error naming it, and nothing is retried', async () => {
    const first = nock(SLACK).post('/api/chat.postMessage').reply(200, { ok: false, error: 'invalid_auth' });
    const retry = nock(SLACK).post('/api/chat.postMessage').reply(200, { ok: true, ts: '1.2' });
    const error = await postWithThread(client(), 'C0INCIDENT', message).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('invalid_auth');
    expect((error as { data?: { error?: string } }).data?.error).toBe('invalid_auth');
    expect(first.isDone()).toBe(true);
    expect(retry.isDone()).toBe(false);
  });

  it('a persistent 5xx fails the post after three attempts with the HTTP status in the error', async () => {
    const failing = nock(SLACK).post('/api/chat.postMessage').times(3).reply(500, 'internal error');
    const fourth = nock(SLACK).post('/api/chat.postMessage').reply(200, { ok: true, ts: '1.2' });
    const error = await postWithThread(client(), 'C0INCIDENT', message).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('500');
    expect((error as { code?: string }).code).toBe('slack_webapi_http_error');
    expect(failing.isDone()).toBe(true);
    expect(fourth.isDone()).toBe(false);
  });
});
