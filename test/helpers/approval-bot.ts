// The bot with the four-eyes flow, in process, against a Kubernetes API and Slack's Web API on
// loopback: what the approval and rollback tests drive with signed clicks.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { startBot } from '../../commands/serve/bot.js';
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
import type { FakeKubeApi } from './fake-kube-api.js';
import { buttonClickBody, FakeSlack, slackSignature } from './fake-slack.js';
import { kubeconfigFile, paymentsCluster } from './payments-cluster.js';

export const APPROVAL_SECRET = 'approval-secret';

export interface ApprovalBot {
  readonly slack: FakeSlack;
  readonly fake: FakeKubeApi;
  readonly db: string;
  readonly slackUrl: string;
  /** POSTs a signed body to the bot; the HTTP status. */
  post(body: string): Promise<number>;
  /** A signed button click from `user` in channel C0OPS. */
  click(user: string, actionId: string, value: string): Promise<number>;
  stop(): Promise<void>;
}

/** Approvers U0ALICE and U0BOB, channel C0OPS sees every namespace, the payments cluster on loopback. */
export async function startApprovalBot(ttlMs = 30 * 60_000): Promise<ApprovalBot> {
  const fake = paymentsCluster();
  const server = await fake.start();
  const slack = new FakeSlack();
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
  const config: BotConfig = {
    port: 0,
    opsPort: 0,
    slack: { botToken: 'xoxb-approvals', signingSecret: APPROVAL_SECRET, apiUrl: `${slackUrl}/api/` },
    access: { channels: { C0OPS: ['*'] } },
    kubernetes: undefined,
    digests: [],
    storePath: db,
    approvers: { users: ['U0ALICE', 'U0BOB'], requestTtlMs: ttlMs },
  };
  const bot = await startBot(config, {
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
        headers: slackSignature(APPROVAL_SECRET, body, Math.floor(Date.now() / 1000)),
        body,
      })
    ).status;
  const click = (user: string, actionId: string, value: string) =>
    post(
      buttonClickBody({
        user,
        channel: 'C0OPS',
        actionId,
        value,
        response_url: `${slackUrl}/respond/${user}-${actionId}-${value}`,
      }),
    );
  return {
    slack,
    fake,
    db,
    slackUrl,
    post,
    click,
    stop: async () => {
      await bot.stop();
      await slack.stop();
      await fake.stop();
      for (const s of [audit, requests, store]) s.close();
    },
  };
}
