// A write that failed (a timeout) may still have reached the API server: the bot must stop answering
// from its cached view before it spends seconds telling Slack about the failure, and a write that
// succeeded stays applied whatever Slack does with the announcement. A write that got no answer (a
// reset) is read back: unchanged, it failed; when the read fails too, it is neither applied nor failed:
// the request and its audit entry say unknown.
import { ApiException } from '@kubernetes/client-node';
import type { App } from '@slack/bolt';
import { expect, it } from 'vitest';
import type { BotDeps } from '../../commands/serve/deps.js';
import { registerFixRequests } from '../../commands/serve/fix-requests.js';
import { createLogger } from '../../src/ops/logger.js';
import { BotMetrics } from '../../src/ops/metrics.js';
import type { RemediationPlan } from '../../src/remediation/plans.js';
import { AuditLog } from '../../src/store/audit-store.js';
import { RequestStore } from '../../src/store/request-store.js';

type Handler = (args: Record<string, unknown>) => Promise<void>;

type WriteFailure = 'no answer' | 'no answer, unread' | 'server error' | 'refused' | undefined;

async function approveOnce(writeFails: WriteFailure, slackRefuses: boolean): Promise<string[]> {
  const events: string[] = [];
  const handlers: Record<string, Handler> = {};
  const app = {
    action: (id: string, h: Handler) => {
      handlers[id] = h;
    },
  } as unknown as App;
  const obj = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'dr', namespace: 'shop', resourceVersion: '7' },
    spec: { host: 'x', trafficPolicy: { tls: { mode: 'DISABLE' } } },
  };
  const objects = {
    read: async () => {
      if (writeFails === 'no answer, unread' && events.includes('write failed'))
        throw new Error('socket hang up');
      return structuredClone(obj);
    },
    patch: async (body: Record<string, unknown>, _p: unknown, dryRun: unknown) => {
      if (dryRun || !writeFails)
        return {
          ...structuredClone(obj),
          ...body,
          metadata: { ...obj.metadata, resourceVersion: dryRun ? '7' : '8' },
        };
      events.push('write failed');
      if (writeFails === 'refused')
        throw new ApiException(422, 'Unprocessable Entity', { message: 'spec.host: Required value' }, {});
      if (writeFails === 'server error')
        throw new ApiException(500, 'Internal Server Error', { message: 'etcdserver: leader changed' }, {});
      throw new Error('socket hang up');
    },
  };
  const requests = new RequestStore(':memory:');
  const audit = new AuditLog(':memory:');
  const plan: RemediationPlan = {
    id: 'set-tls:DestinationRule/shop/dr',
    title: 't',
    risk: 'r',
    action: 'merge-patch',
    target: { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', namespace: 'shop', name: 'dr' },
    body: { spec: { trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } } },
    kubectl: 'k',
  };
  const request = requests.create({
    plan,
    requester: 'U1',
    channel: 'C1',
    namespace: 'shop',
    resourceVersion: '7',
    createdAt: Date.now(),
    expiresAt: Date.now() + 60_000,
  });
  const deps = {
    config: { access: { channels: { C1: ['*'] } }, approvers: { users: ['U1', 'U2'], requestTtlMs: 60_000 } },
    engine: {
      clusterChanged: () => void events.push('cache dropped'),
      answer: async () => ({ findings: [], gaps: [] }),
    },
    metrics: new BotMetrics(),
    logger: createLogger('silent'),
    remediation: { objects, audit, requests },
  } as unknown as BotDeps;
  registerFixRequests(app, deps);
  const client = {
    chat: {
      postMessage: async (m: { text: string }) => {
        await new Promise((r) => setTimeout(r, 50)); // a Slack round trip
        const said = m.text.startsWith(':x:')
          ? 'the failure'
          : m.text.includes('may have been applied')
            ? 'the unknown outcome'
            : 'an announcement';
        events.push(`posted ${said}${slackRefuses ? ' (refused)' : ''}`);
        if (slackRefuses) throw new Error('msg_blocks_too_long');
        return { ok: true };
      },
    },
  };
  await (handlers['fix-approve'] as Handler)({
    ack: async () => {},
    action: { value: String(request.id) },
    body: { user: { id: 'U2' }, channel: { id: 'C1' } },
    client,
    respond: async () => void events.push('told the approver'),
  });
  events.push(`request ${requests.get(request.id)?.state}`);
  events.push(`audit ${audit.get(1)?.state}`);
  return events;
}

it('a refused write drops the cached view before Slack hears of it, and is failed', async () => {
  const events = await approveOnce('refused', false);
  expect(events.slice(0, 3)).toEqual(['write failed', 'cache dropped', 'posted the failure']);
  expect(events.slice(-2)).toEqual(['request failed', 'audit failed']);
});

it('a write refused by a 422 drops the cached view first too, and is failed', async () => {
  const events = await approveOnce('refused', false);
  expect(events.slice(0, 3)).toEqual(['write failed', 'cache dropped', 'posted the failure']);
  expect(events.slice(-2)).toEqual(['request failed', 'audit failed']);
});

it('a write answered by a 500, read back unchanged, is unknown: etcd may still commit it', async () => {
  const events = await approveOnce('server error', false);
  expect(events.slice(0, 3)).toEqual(['write failed', 'cache dropped', 'posted the unknown outcome']);
  expect(events.slice(-2)).toEqual(['request unknown', 'audit unknown']);
});

it('a write with no answer, read back unchanged, is unknown: the API server may still carry it out', async () => {
  const events = await approveOnce('no answer', false);
  expect(events.slice(0, 3)).toEqual(['write failed', 'cache dropped', 'posted the unknown outcome']);
  expect(events.slice(-2)).toEqual(['request unknown', 'audit unknown']);
});

it('a write with no answer whose read-back fails too is unknown, not failed', async () => {
  const events = await approveOnce('no answer, unread', false);
  expect(events.slice(0, 3)).toEqual(['write failed', 'cache dropped', 'posted the unknown outcome']);
  expect(events.slice(-2)).toEqual(['request unknown', 'audit unknown']);
});

it('an applied write stays applied when Slack refuses every announcement', async () => {
  const events = await approveOnce(undefined, true);
  expect(events[0]).toBe('cache dropped');
  expect(events.slice(-2)).toEqual(['request applied', 'audit applied']);
  expect(events).toContain('told the approver');
});
