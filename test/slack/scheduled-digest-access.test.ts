// Scheduled digests and channel access rules, through the real startBot against Slack's Web API on
// loopback: the digest shows every namespace, so only a channel whose rule is "*" gets it. loadConfig
// refuses any other digest channel (test/slack/grammar-config.test.ts); this covers the check made
// again at each post, with a configuration that did not come through loadConfig (as a narrowed or
// reloaded one would not be re-validated by the schedule).
import { PassThrough } from 'node:stream';
import { LogLevel } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningBot, startBot } from '../../commands/serve/bot.js';
import type { BotConfig } from '../../src/config.js';
import type { NamespacePosture, Posture } from '../../src/digest/posture.js';
import { createLogger } from '../../src/ops/logger.js';
import { BotMetrics } from '../../src/ops/metrics.js';
import type { Engine } from '../../src/slack/answer-pool.js';
import { IncidentThrottle } from '../../src/slack/incident-symptoms.js';
import { PlanCache } from '../../src/slack/plan-cache.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { until } from '../helpers/until.js';

const row = (namespace: string): NamespacePosture => ({
  namespace,
  mode: 'PERMISSIVE',
  workloads: 1,
  withoutProxy: [],
  plaintextPorts: [`${namespace}-api:8080`],
  errors: 0,
  warnings: 0,
  expiringCertificates: 0,
  stage: 'switch-to-strict',
  nextStep: 'switch the namespace to STRICT (no client without a proxy would break)',
  wouldBreakIfStrict: [],
});

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

describe('scheduled digests and access rules', () => {
  it('post only to a channel whose rule is "*"; others are refused, logged and counted at each post', async () => {
    const slack = new FakeSlack();
    const url = await slack.start();
    const store = new SqliteStore(':memory:');
    const engine: Engine = {
      answer: () => Promise.reject(new Error('not asked')),
      posture: async (): Promise<Posture> => ({
        takenAt: new Date().toISOString(),
        meshMode: 'PERMISSIVE',
        score: 0,
        namespaces: [row('shop'), row('secret-team')],
      }),
      incident: () => Promise.reject(new Error('not asked')),
      clusterChanged: () => {},
    };
    const every = '* * * * * *';
    const config = {
      port: 0,
      opsPort: 0,
      slack: { botToken: 'xoxb-digest-access', signingSecret: 'digest-access-secret', apiUrl: `${url}/api/` },
      access: { channels: { C0ALL: ['*'], C0SHOP: ['shop'] } },
      kubernetes: undefined,
      digests: [
        { channel: 'C0ALL', cron: every },
        { channel: 'C0SHOP', cron: every },
        { channel: 'C0NORULE', cron: every },
      ],
      storePath: ':memory:',
      approvers: { users: [], requestTtlMs: 60_000 },
    } as BotConfig;
    const metrics = new BotMetrics();
    const log = new PassThrough();
    let logs = '';
    log.on('data', (d: Buffer) => {
      logs += d.toString();
    });
    const bot: RunningBot = await startBot(
      config,
      {
        engine,
        plans: new PlanCache(),
        store,
        throttle: new IncidentThrottle(),
        metrics,
        logger: createLogger('info', log),
      },
      { logLevel: LogLevel.ERROR },
    );
    stop = async () => {
      await bot.stop();
      await slack.stop();
      store.close();
    };
    let refused = 0;
    // Two rounds of the schedule: each of the two other channels refused twice.
    await until(
      async () => {
        refused =
          (await metrics.checks.get()).values.find(
            (v) => v.labels.command === 'scheduled-digest' && v.labels.outcome === 'refused',
          )?.value ?? 0;
        return refused >= 4;
      },
      () => `refusals counted: ${refused}\n${logs}`,
      15_000,
    );
    const posts = (channel: string) =>
      slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === channel);
    expect(posts('C0ALL').length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(posts('C0ALL')[0]?.args.blocks)).toContain('secret-team');
    // Nothing at all reaches the refused channels: no digest, no trend picture.
    const refusedChannels = slack.calls.filter((c) =>
      ['C0SHOP', 'C0NORULE'].includes(String(c.args.channel ?? c.args.channel_id)),
    );
    expect(refusedChannels).toEqual([]);
    expect(logs).toContain(
      'channel C0SHOP may only see shop, not every namespace: give it \\"*\\" under access.channels',
    );
    expect(logs).toContain('channel C0NORULE has no access rule');
    expect(logs).toContain('scheduled digest refused by access rules');
  }, 30_000);
});
