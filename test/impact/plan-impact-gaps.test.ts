// "Breaks 0" is only worth something from a whole view: with pods or policies unread, a break would
// hide in what is missing. A fix request says its impact is unknown (the approver confirms it), and
// a what-if warns that it was computed on an incomplete view.
import { afterEach, expect, it } from 'vitest';
import type { BotDeps } from '../../commands/serve/deps.js';
import { requestFix } from '../../commands/serve/fix-requests.js';
import type { PlanImpact } from '../../src/impact/plan-impact.js';
import { createLogger } from '../../src/ops/logger.js';
import { BotMetrics } from '../../src/ops/metrics.js';
import type { RemediationPlan } from '../../src/remediation/plans.js';
import run from '../../src/slack/answer-worker.js';
import { AuditLog } from '../../src/store/audit-store.js';
import { RequestStore } from '../../src/store/request-store.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';

const strict = {
  apiVersion: 'security.istio.io/v1',
  kind: 'PeerAuthentication',
  metadata: { name: 'default', namespace: 'payments', resourceVersion: '8' },
  spec: { mtls: { mode: 'STRICT' } },
};

let fake: FakeKubeApi | undefined;
afterEach(() => fake?.stop());

/** The impact the bot's worker computes for writing `payments` STRICT, over a PERMISSIVE cluster. */
async function impactOfStrict(podsForbidden: boolean, generation: number): Promise<PlanImpact> {
  fake = paymentsCluster();
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    Object.assign(o, { spec: { mtls: { mode: 'PERMISSIVE' } } });
  });
  if (podsForbidden)
    fake.fault('/api/v1/pods', { status: 403, reason: 'Forbidden', message: 'pods is forbidden' });
  const kubeconfigPath = kubeconfigFile(await fake.start());
  const result = await run({
    kind: 'impact',
    written: { object: strict },
    source: { kubeconfigPath },
    generation,
  });
  if (result.kind !== 'impact') throw new Error(`unexpected ${result.kind}`);
  return result.impact;
}

it('from a whole view the break is counted; with pods unreadable it is unknown, not "breaks 0"', async () => {
  const whole = await impactOfStrict(false, 1);
  expect(whole).toMatchObject({ computed: true, breaks: 1 });
  expect(whole.lines[0]).toContain('legacy/cron-0 → payments/payments:80');
  await fake?.stop();

  const partial = await impactOfStrict(true, 2);
  expect(partial).toMatchObject({ computed: false, unknown: true, breaks: 0 });
  expect(partial.lines[0]).toMatch(
    /^impact on calls not computed: the view it is computed on is incomplete: pods list .*forbidden.* could not be read$/,
  );
});

it('the fix request shows an unknown impact as a warning and the approver confirms it', async () => {
  const posted: { blocks: unknown }[] = [];
  const obj = { ...strict, spec: { mtls: { mode: 'PERMISSIVE' } } };
  const objects = {
    read: async () => structuredClone(obj),
    patch: async (body: Record<string, unknown>) => ({ ...structuredClone(obj), ...body }),
  };
  const unknown: PlanImpact = {
    computed: false,
    unknown: true,
    lines: [
      'impact on calls not computed: the view it is computed on is incomplete: pods list could not be read',
    ],
    breaks: 0,
    repairs: 0,
    opensErrors: 0,
  };
  const deps = {
    config: { access: { channels: { C1: ['*'] } }, approvers: { users: ['U1', 'U2'], requestTtlMs: 60_000 } },
    engine: { impactOf: async () => unknown },
    metrics: new BotMetrics(),
    logger: createLogger('silent'),
  } as unknown as BotDeps;
  const plan: RemediationPlan = {
    id: 'set-mode-strict:PeerAuthentication/payments/default',
    title: 'Switch PeerAuthentication payments/default to STRICT',
    risk: 'r',
    action: 'merge-patch',
    target: {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      namespace: 'payments',
      name: 'default',
    },
    body: { spec: { mtls: { mode: 'STRICT' } } },
    kubectl: 'k',
  };
  const remediation = { objects, audit: new AuditLog(':memory:'), requests: new RequestStore(':memory:') };
  const client = { chat: { postMessage: async (m: { blocks: unknown }) => void posted.push(m) } };
  await requestFix(deps, remediation as never, plan, 'U1', 'C1', client as never);
  const text = JSON.stringify(posted[0]?.blocks);
  expect(text).toContain(':warning: *What this change breaks is unknown.* impact on calls not computed');
  expect(text).not.toContain(':white_check_mark:');
  expect(text).toContain('"text":"Apply anyway?"');
  expect(text).toContain('*What this change breaks is unknown:* impact on calls not computed');
});

it('/mtls whatif on a view missing the pods: a warning, not a green "breaks 0"', async () => {
  fake = paymentsCluster();
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    Object.assign(o, { spec: { mtls: { mode: 'PERMISSIVE' } } });
  });
  fake.fault('/api/v1/pods', { status: 403, reason: 'Forbidden', message: 'pods is forbidden' });
  const kubeconfigPath = kubeconfigFile(await fake.start());
  const result = await run({
    kind: 'answer',
    command: { kind: 'whatif', namespace: 'payments', change: { namespace: 'payments', mode: 'STRICT' } },
    source: { kubeconfigPath },
    generation: 3,
  });
  if (result.kind !== 'answer') throw new Error(`unexpected ${result.kind}`);
  const text = JSON.stringify(result.answer.message.blocks);
  expect(text).toContain(':warning: *What if');
  expect(text).toContain('Computed on an incomplete view');
  expect(text).not.toContain(':large_green_circle:');
  expect(text).toContain('Incomplete: pods list (all namespaces) could not be read.');
});
