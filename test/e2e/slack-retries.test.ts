// Slack's retries of incident-channel events, sent signed over HTTP to the bot in process, with Slack's
// Web API on loopback: an event refused with 503 (Slack not linked yet) is handled when Slack retries
// it, once however many retries follow; a retry of an event the bot accepted runs nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningBot, startBot } from '../../commands/serve/bot.js';
import { createLogger } from '../../src/ops/logger.js';
import { BotMetrics } from '../../src/ops/metrics.js';
import type { Symptom } from '../../src/slack/incident-symptoms.js';
import { IncidentThrottle } from '../../src/slack/incident-symptoms.js';
import { PlanCache } from '../../src/slack/plan-cache.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { incidentBotConfig } from '../helpers/bot-config.js';
import { FakeSlack, slackSignature } from '../helpers/fake-slack.js';
import { until } from '../helpers/until.js';

const SECRET = 'retries-signing-secret';
let slack: FakeSlack | undefined;
let bot: RunningBot | undefined;

afterEach(async () => {
  await bot?.stop();
  await slack?.stop();
  bot = undefined;
  slack = undefined;
});

async function start() {
  slack = new FakeSlack();
  const slackUrl = await slack.start();
  // Slack refuses the token at first: the bot answers 503 until it is linked.
  slack.authError = 'invalid_auth';
  const diagnosed: Symptom[] = [];
  const config = incidentBotConfig(slackUrl, 'xoxb-retries', SECRET);
  bot = await startBot(
    config,
    {
      engine: {
        answer: () => Promise.reject(new Error('not used')),
        posture: () => Promise.reject(new Error('not used')),
        incident: async (symptom) => {
          diagnosed.push(symptom);
          return {};
        },
        clusterChanged: () => {},
      },
      plans: new PlanCache(),
      store: new SqliteStore(':memory:'),
      // No cooldown: only the retry handling decides whether a copy is diagnosed again.
      throttle: new IncidentThrottle(0, 1000, 60_000),
      metrics: new BotMetrics(),
      logger: createLogger('silent'),
    },
    { firstRetryMs: 100 },
  );
  const url = `http://127.0.0.1:${bot.port}/slack/events`;
  /** Delivers event `id` (retry `retry` of it, if given); the HTTP status. */
  const deliver = async (id: string, service: string, retry?: number) => {
    const body = JSON.stringify({
      token: 't',
      team_id: 'T0',
      api_app_id: 'A0',
      type: 'event_callback',
      event_id: id,
      event_time: 1,
      event: {
        type: 'message',
        channel: 'C0INC',
        user: 'U0PAGER',
        ts: `${id}.1`,
        text: `upstream connect error or disconnect/reset before headers: ${service}.payments.svc.cluster.local`,
      },
    });
    const headers = {
      ...slackSignature(SECRET, body, Math.floor(Date.now() / 1000)),
      'content-type': 'application/json',
      ...(retry ? { 'x-slack-retry-num': String(retry), 'x-slack-retry-reason': 'http_error' } : {}),
    };
    return (await fetch(url, { method: 'POST', headers, body })).status;
  };
  return { diagnosed, deliver, slack };
}

const settle = () => new Promise((r) => setTimeout(r, 400));

describe('Slack retries of events', () => {
  it('an event refused while Slack was not linked is diagnosed on its retry, once', async () => {
    const { diagnosed, deliver, slack } = await start();
    expect(await deliver('Ev1001', 'payments')).toBe(503);
    slack.authError = undefined;
    await until(() => bot?.slackReady().ok === true, 'the bot never linked to Slack', 10_000);

    expect(await deliver('Ev1001', 'payments', 1)).toBe(200);
    await until(() => diagnosed.length === 1, 'the retried event was not diagnosed', 3_000);
    expect(diagnosed[0]).toMatchObject({ service: 'payments', namespace: 'payments' });
    // Slack's next retries of the same event (it may not have seen the first 200 in time).
    expect(await deliver('Ev1001', 'payments', 2)).toBe(200);
    expect(await deliver('Ev1001', 'payments', 3)).toBe(200);
    await settle();
    expect(diagnosed).toHaveLength(1);
  });

  it('a retry of an event the bot accepted runs nothing', async () => {
    const { diagnosed, deliver, slack } = await start();
    slack.authError = undefined;
    await until(() => bot?.slackReady().ok === true, 'the bot never linked to Slack', 10_000);
    expect(await deliver('Ev2001', 'cart')).toBe(200);
    await until(() => diagnosed.length === 1, 'the event was not diagnosed', 5_000);
    expect(await deliver('Ev2001', 'cart', 1)).toBe(200);
    // A different event is still diagnosed: the bot was not simply idle.
    expect(await deliver('Ev2002', 'orders')).toBe(200);
    await until(() => diagnosed.length >= 2, 'the second event was not diagnosed', 5_000);
    await settle();
    expect(diagnosed.map((s) => s.service)).toEqual(['cart', 'orders']);
  });
});
