// The four-eyes fix flow through signed Slack interactive payloads from two users, against Slack's Web
// API and a Kubernetes API on loopback: requester cannot approve, an approver applies exactly once
// (dry run first), stale and expired requests are refused, rollback restores the previous spec, and
// the audit log survives a restart.
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

const realPatches = () => fake.writes.filter((w) => !w.dryRun);
const mode = () =>
  (fake.find('PeerAuthentication', 'payments', 'default')?.spec as { mtls?: { mode: string } } | undefined)
    ?.mtls?.mode;
const settle = () => new Promise((r) => setTimeout(r, 400));

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

describe('fix requests with approval', () => {
  it('the requester cannot approve; an approver applies exactly once after a dry run; rollback restores; the audit survives a restart', async () => {
    const env = await setup();
    const request = await requestFix(env);
    expect(String(request.args.text)).toBe(
      `Fix request 1: Switch PeerAuthentication payments/default to PERMISSIVE`,
    );
    expect(JSON.stringify(request.args.blocks)).toContain('+    mode: PERMISSIVE');
    expect(fake.writes.every((w) => w.dryRun)).toBe(true);

    const selfReply = slack.waitFor('respond/U0ALICE-fix-approve-1');
    await env.click('U0ALICE', 'fix-approve', '1');
    expect(String((await selfReply).args.text)).toContain('another approver has to approve it');
    expect(realPatches()).toEqual([]);

    const applied = slack.waitFor('chat.postMessage');
    await env.click('U0BOB', 'fix-approve', '1');
    const done = await applied;
    expect(String(done.args.text)).toBe('Fix request 1 applied');
    expect(realPatches()).toHaveLength(1);
    expect(realPatches()[0]?.body).toMatchObject({
      metadata: { resourceVersion: '7' },
      spec: { mtls: { mode: 'PERMISSIVE' } },
    });
    const lastReal = fake.writes.indexOf(realPatches()[0] as never);
    expect(fake.writes[lastReal - 1]?.dryRun).toBe(true);
    expect(mode()).toBe('PERMISSIVE');

    // A second approval (double click) changes nothing.
    const again = slack.waitFor('respond/U0BOB-fix-approve-1');
    await env.click('U0BOB', 'fix-approve', '1');
    expect(String((await again).args.text)).toContain('already resolved (applied by <@U0BOB>)');
    expect(realPatches()).toHaveLength(1);

    // Rollback is itself a request that needs approval.
    const rollbackButton = (
      done.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]
    )
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === 'fix-rollback');
    const rollbackRequest = slack.waitFor('chat.postMessage');
    await env.click('U0ALICE', 'fix-rollback', rollbackButton?.value ?? '');
    expect(String((await rollbackRequest).args.text)).toContain('Fix request 2: Roll back change 1');
    const restored = slack.waitFor('chat.postMessage');
    await env.click('U0BOB', 'fix-approve', '2');
    expect(String((await restored).args.text)).toBe('Fix request 2 applied');
    expect(mode()).toBe('STRICT');

    const reopened = new AuditLog(env.db);
    expect(reopened.get(1)).toMatchObject({ planId: PLAN, state: 'rolled-back' });
    expect(reopened.get(2)).toMatchObject({ planId: 'rollback:1', state: 'applied' });
    reopened.close();
  });

  it('a request whose object changed since is refused as stale', async () => {
    const env = await setup();
    await requestFix(env);
    fake.touch('PeerAuthentication', 'payments', 'default');
    const refused = slack.waitFor('chat.postMessage');
    await env.click('U0BOB', 'fix-approve', '1');
    expect(String((await refused).args.text)).toContain('the request is stale');
    expect(realPatches()).toEqual([]);
  });

  it('an expired request is refused', async () => {
    const env = await setup(1);
    await requestFix(env);
    await settle();
    const refused = slack.waitFor('respond/U0BOB-fix-approve-1');
    await env.click('U0BOB', 'fix-approve', '1');
    expect(String((await refused).args.text)).toContain('expired');
    expect(realPatches()).toEqual([]);
  });

  it('someone who is not an approver cannot approve', async () => {
    const env = await setup();
    await requestFix(env);
    const refused = slack.waitFor('respond/U0MALLORY-fix-approve-1');
    await env.click('U0MALLORY', 'fix-approve', '1');
    expect(String((await refused).args.text)).toContain('not an approver');
    expect(realPatches()).toEqual([]);
  });
});
