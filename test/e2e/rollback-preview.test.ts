// A rollback request through signed Slack clicks, against a Kubernetes API on loopback: it runs the
// same server-side dry run as any other request and shows its diff before anyone approves it, and it
// is refused at request time when the object changed after the fix.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningBot, startBot } from '../../commands/serve/bot.js';
import type { BotConfig } from '../../src/config.js';
import { createLogger } from '../../src/ops/logger.js';
import { BotMetrics } from '../../src/ops/metrics.js';
import { answer } from '../../src/slack/answer.js';
import type { Engine } from '../../src/slack/answer-pool.js';
import { IncidentThrottle } from '../../src/slack/incident-symptoms.js';
import { PlanCache } from '../../src/slack/plan-cache.js';
import { cachedSource } from '../../src/slack/snapshot-cache.js';
import { createKubeApi } from '../../src/snapshot/live/kube-api.js';
import { AuditLog } from '../../src/store/audit-store.js';
import { RequestStore } from '../../src/store/request-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { FakeSlack, slackSignature, slashCommandBody } from '../helpers/fake-slack.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';

const SECRET = 'approval-secret';
const PLAN = 'set-mode-permissive:PeerAuthentication/payments/default';
let slack: FakeSlack;
let fake: FakeKubeApi;
let bot: RunningBot;
let stores: { close(): void }[] = [];

afterEach(async () => {
  await bot?.stop();
  await slack?.stop();
  await fake?.stop();
  for (const s of stores) s.close();
  stores = [];
});

async function setup(ttlMs = 30 * 60_000) {
  fake = paymentsCluster();
  const server = await fake.start();
  slack = new FakeSlack();
  const slackUrl = await slack.start();
  const dir = mkdtempSync(join(tmpdir(), 'approvals-'));
  const kubeconfigPath = kubeconfigFile(server);
  const db = join(dir, 'state.db');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  const plans = new PlanCache();
  const load = cachedSource({ kubeconfigPath }, 0);
  const engine: Engine = {
    answer: (command) => answer(command, { load, plans }),
    posture: () => Promise.reject(new Error('not used')),
    incident: () => Promise.resolve({}),
    clusterChanged: () => {},
  };
  const audit = new AuditLog(db);
  const requests = new RequestStore(db);
  const store = new SqliteStore(db);
  stores = [audit, requests, store];
  const config: BotConfig = {
    port: 0,
    opsPort: 0,
    slack: { botToken: 'xoxb-approvals', signingSecret: SECRET, apiUrl: `${slackUrl}/api/` },
    access: { channels: { C0OPS: ['*'] } },
    kubernetes: undefined,
    digests: [],
    storePath: db,
    approvers: { users: ['U0ALICE', 'U0BOB'], requestTtlMs: ttlMs },
  };
  bot = await startBot(config, {
    engine,
    plans,
    store,
    throttle: new IncidentThrottle(),
    metrics: new BotMetrics(),
    logger: createLogger('silent'),
    remediation: { objects: createKubeApi({ kubeConfig }).objects, audit, requests },
  });
  const url = `http://127.0.0.1:${bot.port}/slack/events`;
  const post = async (body: string) =>
    (
      await fetch(url, {
        method: 'POST',
        headers: slackSignature(SECRET, body, Math.floor(Date.now() / 1000)),
        body,
      })
    ).status;
  const click = (user: string, actionId: string, value: string) =>
    post(
      new URLSearchParams({
        payload: JSON.stringify({
          type: 'block_actions',
          team: { id: 'T0' },
          user: { id: user, team_id: 'T0' },
          api_app_id: 'A0MTLS',
          container: { type: 'message', message_ts: '1.1', channel_id: 'C0OPS' },
          channel: { id: 'C0OPS', name: 'ops' },
          trigger_id: '1.2.3',
          response_url: `${slackUrl}/respond/${user}-${actionId}-${value}`,
          actions: [{ type: 'button', action_id: actionId, block_id: 'b', value, action_ts: '1.2' }],
        }),
      }).toString(),
    );
  return { post, click, db, slackUrl };
}

const mode = () =>
  (fake.find('PeerAuthentication', 'payments', 'default')?.spec as { mtls?: { mode: string } } | undefined)
    ?.mtls?.mode;

async function requestFix(env: Awaited<ReturnType<typeof setup>>) {
  const check = slashCommandBody({
    text: 'check payments',
    channel_id: 'C0OPS',
    user_id: 'U0ALICE',
    response_url: `${env.slackUrl}/respond/check`,
  });
  const updated = slack.waitFor('chat.update');
  expect(await env.post(check)).toBe(200);
  const blocks = JSON.stringify((await updated).args.blocks);
  expect(blocks).toContain(PLAN);
  const requestPosted = slack.waitFor('chat.postMessage');
  expect(await env.click('U0ALICE', 'remediation:0:0', PLAN)).toBe(200);
  return requestPosted;
}

describe('rollback requests', () => {
  async function applied(env: Awaited<ReturnType<typeof setup>>) {
    await requestFix(env);
    const done = slack.waitFor('chat.postMessage');
    await env.click('U0BOB', 'fix-approve', '1');
    const message = await done;
    expect(String(message.args.text)).toBe('Fix request 1 applied');
    return (message.args.blocks as { elements?: { action_id: string; value: string }[] }[])
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === 'fix-rollback')?.value as string;
  }

  it('a rollback request runs a server-side dry run and shows its diff; approving it restores', async () => {
    const env = await setup();
    const auditId = await applied(env);
    const before = fake.writes.length;
    const posted = slack.waitFor('chat.postMessage');
    await env.click('U0ALICE', 'fix-rollback', auditId);
    const request = await posted;
    expect(String(request.args.text)).toContain('Fix request 2: Roll back change 1');
    const blocks = JSON.stringify(request.args.blocks);
    expect(blocks).toContain('-    mode: PERMISSIVE');
    expect(blocks).toContain('+    mode: STRICT');
    expect(fake.writes.slice(before)).toEqual([
      expect.objectContaining({
        method: 'PATCH',
        dryRun: true,
        body: expect.objectContaining({ spec: { mtls: { mode: 'STRICT' } } }),
      }),
    ]);
    expect(mode()).toBe('PERMISSIVE');
    const restored = slack.waitFor('chat.postMessage');
    await env.click('U0BOB', 'fix-approve', '2');
    expect(String((await restored).args.text)).toBe('Fix request 2 applied');
    expect(mode()).toBe('STRICT');
  });

  it('a rollback of an object changed after the fix is refused when requested, with the reason', async () => {
    const env = await setup();
    const auditId = await applied(env);
    fake.touch('PeerAuthentication', 'payments', 'default');
    const before = fake.writes.length;
    const refused = slack.waitFor(`respond/U0ALICE-fix-rollback-${auditId}`);
    await env.click('U0ALICE', 'fix-rollback', auditId);
    const text = String((await refused).args.text);
    expect(text).toContain('The dry run failed');
    expect(text).toContain('changed after the fix');
    expect(fake.writes.length).toBe(before);
  });
});
