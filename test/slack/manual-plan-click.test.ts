// A manual plan (several steps run by hand) clicked in Slack: no fix request and no "dry run failed",
// and a channel sees it only if it may see every namespace its commands act in (rotating the CA
// restarts every namespace with sidecars, not only the CA Secret's).
import type { App } from '@slack/bolt';
import { expect, it } from 'vitest';
import type { BotDeps } from '../../commands/serve/deps.js';
import { registerRemediationAction } from '../../commands/serve/remediation-action.js';
import { createLogger } from '../../src/ops/logger.js';
import { BotMetrics } from '../../src/ops/metrics.js';
import { rotateCaThenRestart } from '../../src/remediation/plans.js';
import { PlanCache } from '../../src/slack/plan-cache.js';
import { AuditLog } from '../../src/store/audit-store.js';
import { RequestStore } from '../../src/store/request-store.js';

type Handler = (args: Record<string, unknown>) => Promise<void>;

async function click(channel: string): Promise<{ told: string[]; reads: number }> {
  const plan = rotateCaThenRestart('istio-system', 'cacerts', ['shop', 'hr-payroll']);
  let handler: Handler | undefined;
  const app = {
    action: (_: RegExp, h: Handler) => {
      handler = h;
    },
  } as unknown as App;
  const plans = new PlanCache();
  plans.remember([plan]);
  let reads = 0;
  const deps = {
    config: {
      access: { channels: { CIstio: ['istio-system'], CAll: ['*'] } },
      approvers: { users: ['U1', 'U2'], requestTtlMs: 60_000 },
    },
    plans,
    metrics: new BotMetrics(),
    logger: createLogger('silent'),
    remediation: {
      objects: {
        read: async () => {
          reads++;
          return {};
        },
      },
      audit: new AuditLog(':memory:'),
      requests: new RequestStore(':memory:'),
    },
  } as unknown as BotDeps;
  registerRemediationAction(app, deps);
  const told: string[] = [];
  await (handler as Handler)({
    ack: async () => {},
    action: { value: plan.id },
    body: { user: { id: 'U1' }, channel: { id: channel } },
    client: { chat: { postMessage: async () => ({ ok: true }) } },
    respond: async (r: { text: string }) => void told.push(r.text),
  });
  return { told, reads };
}

it('a channel that may not see every namespace the plan restarts is refused, without their names', async () => {
  const { told, reads } = await click('CIstio');
  expect(told).toHaveLength(1);
  expect(told[0]).toMatch(/^:no_entry: Refused: /);
  expect(told[0]).not.toContain('hr-payroll');
  expect(reads).toBe(0);
});

it('a channel that may see them all gets the steps to run by hand, and nothing is requested', async () => {
  const { told, reads } = await click('CAll');
  expect(told).toHaveLength(1);
  expect(told[0]).toContain('kubectl rollout status deployment istiod -n istio-system --timeout=5m');
  expect(told[0]).toContain('run by hand after review: nothing was requested or changed');
  expect(told[0]).not.toContain('dry run');
  expect(reads).toBe(0);
});
