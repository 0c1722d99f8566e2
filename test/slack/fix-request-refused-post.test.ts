// A fix or rollback request the channel refuses to show (not_in_channel, channel_not_found,
// msg_blocks_too_long) has no Approve button anywhere: the clicker is told, with the way to do it
// without Slack, and the request is resolved as failed instead of waiting to expire. A rejection the
// channel refuses to announce is told to whoever rejected.
import type { App } from '@slack/bolt';
import { expect, it } from 'vitest';
import type { BotDeps } from '../../commands/serve/deps.js';
import { registerFixRequests } from '../../commands/serve/fix-requests.js';
import { registerRemediationAction } from '../../commands/serve/remediation-action.js';
import { createLogger } from '../../src/ops/logger.js';
import { BotMetrics } from '../../src/ops/metrics.js';
import type { RemediationPlan } from '../../src/remediation/plans.js';
import { PlanCache } from '../../src/slack/plan-cache.js';
import { AuditLog } from '../../src/store/audit-store.js';
import { RequestStore } from '../../src/store/request-store.js';

type Handler = (args: Record<string, unknown>) => Promise<void>;

const target = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  namespace: 'shop',
  name: 'dr',
};
const dr = {
  apiVersion: target.apiVersion,
  kind: target.kind,
  metadata: { name: 'dr', namespace: 'shop', resourceVersion: '7' },
  spec: { host: 'x', trafficPolicy: { tls: { mode: 'DISABLE' } } },
};
const plan: RemediationPlan = {
  id: 'set-tls:DestinationRule/shop/dr',
  title: 'Set ISTIO_MUTUAL on DestinationRule shop/dr',
  risk: 'r',
  action: 'merge-patch',
  target,
  body: { spec: { trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } } },
  kubectl: 'kubectl patch destinationrule dr -n shop --type merge',
};

function bot() {
  const handlers = new Map<string, Handler>();
  const app = {
    // The remediation buttons are matched by a pattern, the approval flow's by their action_id.
    action: (id: string | RegExp, handler: Handler) => {
      handlers.set(id instanceof RegExp ? 'remediation' : id, handler);
    },
  } as unknown as App;
  const plans = new PlanCache();
  plans.remember([plan]);
  const requests = new RequestStore(':memory:');
  const audit = new AuditLog(':memory:');
  const objects = {
    read: async () => structuredClone(dr),
    patch: async (body: Record<string, unknown>) => ({ ...structuredClone(dr), ...body }),
  };
  const deps = {
    config: { access: { channels: { C1: ['*'] } }, approvers: { users: ['U1', 'U2'], requestTtlMs: 60_000 } },
    engine: {},
    plans,
    metrics: new BotMetrics(),
    logger: createLogger('silent'),
    remediation: { objects, audit, requests },
  } as unknown as BotDeps;
  registerRemediationAction(app, deps);
  registerFixRequests(app, deps);
  const told: string[] = [];
  const click = (action: string, value: string) =>
    (handlers.get(action) as Handler)({
      ack: async () => {},
      action: { value },
      body: { user: { id: 'U1' }, channel: { id: 'C1' } },
      client: {
        chat: {
          postMessage: async () => {
            throw Object.assign(new Error('An API error occurred: not_in_channel'), {
              data: { ok: false, error: 'not_in_channel' },
            });
          },
        },
      },
      respond: async (r: { text: string }) => void told.push(r.text),
    });
  return { click, told, requests, audit };
}

it('a fix request the channel refuses is told to the clicker with the kubectl command, and failed', async () => {
  const { click, told, requests } = bot();
  await click('remediation', plan.id);
  expect(told).toHaveLength(1);
  expect(told[0]).toContain('Could not post the fix request to this channel (not_in_channel)');
  expect(told[0]).toContain(plan.kubectl);
  expect(requests.get(1)?.state).toBe('failed');
});

it('a rollback request the channel refuses is told to the clicker with the CLI rollback, and failed', async () => {
  const { click, told, requests, audit } = bot();
  const auditId = audit.begin({
    planId: plan.id,
    target,
    actor: 'U2',
    createdAt: new Date().toISOString(),
    previous: dr,
    patch: plan.body as Record<string, unknown>,
    action: 'merge-patch',
  });
  audit.finish(auditId, 'applied', { resultVersion: '7' });
  await click('fix-rollback', String(auditId));
  expect(told).toHaveLength(1);
  expect(told[0]).toContain(':x: Could not post the rollback request to this channel (not_in_channel)');
  expect(told[0]).toContain(`mtls-doctor fix --rollback ${auditId}`);
  expect(requests.get(1)?.state).toBe('failed');
});

it('a rejection the channel refuses to announce is told to whoever rejected', async () => {
  const { click, told, requests } = bot();
  const request = requests.create({
    plan,
    requester: 'U1',
    channel: 'C1',
    namespace: 'shop',
    createdAt: Date.now(),
    expiresAt: Date.now() + 60_000,
  });
  await click('fix-reject', String(request.id));
  expect(requests.get(request.id)?.state).toBe('rejected');
  expect(told).toEqual([
    `Fix request ${request.id} is rejected; the channel could not be told (not_in_channel).`,
  ]);
});
