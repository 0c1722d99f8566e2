// What the approver of a fix request sees of its dry-run diff, posted through Slack's Web API on
// loopback after a dry run against a Kubernetes API on loopback: the whole diff when it fits Slack's
// limits, split into sections; otherwise the changed lines first and an explicit count of the rest.
import { KubeConfig } from '@kubernetes/client-node';
import { WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { requestFix } from '../../commands/serve/fix-requests.js';
import type { BotConfig } from '../../src/config.js';
import { createLogger } from '../../src/ops/logger.js';
import { BotMetrics } from '../../src/ops/metrics.js';
import type { RemediationPlan } from '../../src/remediation/plans.js';
import { IncidentThrottle } from '../../src/slack/incident-symptoms.js';
import { PlanCache } from '../../src/slack/plan-cache.js';
import { createKubeApi } from '../../src/snapshot/live/kube-api.js';
import { AuditLog } from '../../src/store/audit-store.js';
import { RequestStore } from '../../src/store/request-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

/** A DestinationRule with `subsets` subsets; the line that matters, `mode: DISABLE`, comes last. */
function createRule(subsets: number): RemediationPlan {
  return {
    id: 'create:DestinationRule/payments/payments',
    title: 'Create DestinationRule payments/payments',
    risk: 'Sets the TLS mode of every call to payments.',
    action: 'create',
    target: {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      namespace: 'payments',
      name: 'payments',
    },
    body: {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'payments', namespace: 'payments' },
      spec: {
        host: 'payments.payments.svc.cluster.local',
        subsets: Array.from({ length: subsets }, (_, i) => ({
          name: `v${i}`,
          labels: { version: `v${i}`, track: 'stable' },
        })),
        trafficPolicy: { tls: { mode: 'DISABLE' } },
      },
    },
    kubectl: 'kubectl create -f -',
  };
}

/** Opens a fix request for `plan` as the remediation button does; the message Slack was sent. */
async function request(plan: RemediationPlan) {
  const kube: FakeKubeApi = paymentsCluster();
  const server = await kube.start();
  const slack = new FakeSlack();
  const slackUrl = await slack.start();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigFile(server));
  const audit = new AuditLog(':memory:');
  const requests = new RequestStore(':memory:');
  const store = new SqliteStore(':memory:');
  stop = async () => {
    await slack.stop();
    await kube.stop();
    for (const s of [audit, requests, store]) s.close();
  };
  const config = {
    access: { channels: { C0OPS: ['*'] } },
    approvers: { users: ['U0ALICE', 'U0BOB'], requestTtlMs: 60_000 },
  } as unknown as BotConfig;
  const deps = {
    config,
    engine: {
      answer: () => Promise.reject(new Error('not used')),
      posture: () => Promise.reject(new Error('not used')),
      incident: () => Promise.resolve({}),
      clusterChanged: () => {},
    },
    plans: new PlanCache(),
    store,
    throttle: new IncidentThrottle(),
    metrics: new BotMetrics(),
    logger: createLogger('silent'),
  };
  const remediation = { objects: createKubeApi({ kubeConfig }).objects, audit, requests };
  const client = new WebClient('xoxb-diff', { slackApiUrl: `${slackUrl}/api/` });
  const posted = slack.waitFor('chat.postMessage');
  expect(await requestFix(deps, remediation, plan, 'U0ALICE', 'C0OPS', client)).toBeUndefined();
  const blocks = (await posted).args.blocks as { type: string; text?: { text: string } }[];
  const texts = blocks.map((b) => b.text?.text ?? '');
  return { blocks, texts, all: texts.join('\n') };
}

/** The subsets' `version:` lines shown, wherever a section's code fence falls. */
const versions = (text: string) =>
  text
    .replaceAll('```', '\n')
    .split('\n')
    .filter((l) => /^\+ +version: v\d+$/.test(l));

describe('the diff of a fix request', () => {
  it('a diff longer than one section is shown whole, split across sections within Slack limits', async () => {
    const { blocks, texts, all } = await request(createRule(40));
    expect(all.length).toBeGreaterThan(3000);
    expect(all).toMatch(/^\+ +mode: DISABLE/m);
    expect(all).not.toContain('not shown');
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const text of texts) expect(text.length).toBeLessThanOrEqual(3000);
    // Slack refuses a message whose blocks hold more than about 13,000 characters (msg_blocks_too_long).
    expect(all.length).toBeLessThan(12_000);
    // Every `+` line of the object, none lost between sections.
    expect(versions(all)).toHaveLength(40);
  });

  it('a diff too long for one message says how much is not shown and where to see all of it', async () => {
    const { blocks, texts, all } = await request(createRule(600));
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const text of texts) expect(text.length).toBeLessThanOrEqual(3000);
    expect(all.length).toBeLessThan(12_000);
    const marker = all.match(/… (\d+) more lines of the diff not shown \((\d+) of them changed\)/);
    expect(marker, all.slice(-500)).not.toBeNull();
    const shown = versions(all).length;
    // Each subset is 4 lines (name, labels, version, track): shown and not shown add up to all of them.
    expect(shown).toBeGreaterThan(0);
    expect(Number(marker?.[2])).toBeGreaterThan((600 - shown) * 4 - 4);
    expect(all).toContain(
      '`mtls-doctor fix create:DestinationRule/payments/payments` shows the whole dry-run diff',
    );
  });
});
