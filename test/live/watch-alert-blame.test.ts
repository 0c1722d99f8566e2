// An alert blames the changes of its burst that can have broken its pairs (their scope covers one), not
// every change made within the same debounce: an unrelated policy elsewhere gets no Revert button, and
// does not keep the alert from a channel that sees only the broken pairs' namespaces.
import type { WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { changeAlertPoster, revertLabel } from '../../commands/serve/change-alerts.js';
import type { BotConfig } from '../../src/config.js';
import { createLogger } from '../../src/ops/logger.js';
import { LIMITS } from '../../src/render/blocks.js';
import { PlanCache } from '../../src/slack/plan-cache.js';
import type { BreakingChange } from '../../src/snapshot/live/watch-alerts.js';
import { type AlertHarness, watchAlerts } from '../helpers/alert-harness.js';
import { paymentsCluster } from '../helpers/payments-cluster.js';
import { mayRevertAll, postAlert } from '../helpers/post-alert.js';
import { until } from '../helpers/until.js';

let harness: AlertHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

/** payments made STRICT (the legacy client breaks) and, in the same burst, a harmless policy in `other`. */
async function burstWithAnUnrelatedChange(): Promise<BreakingChange> {
  const fake = paymentsCluster();
  fake.add({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } } as never);
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode: 'PERMISSIVE' } };
  });
  const h = await watchAlerts(fake);
  harness = h;
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode: 'STRICT' } };
  });
  fake.create({
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name: 'default', namespace: 'other' },
    spec: { mtls: { mode: 'PERMISSIVE' } },
  } as never);
  await until(() => h.seen.length > 0, 'the alert', 10_000);
  // One burst: the unrelated change was compared with it, not after it.
  expect(h.evaluated).toHaveLength(1);
  return h.seen[0] as BreakingChange;
}

describe('a burst with a breaking and an unrelated change', { timeout: 30_000 }, () => {
  it('blames and offers to revert only the change that broke pairs', async () => {
    const alert = await burstWithAnUnrelatedChange();
    expect(alert.changes.map((c) => `${c.type} ${c.kind} ${c.namespace}/${c.name}`)).toEqual([
      'MODIFIED PeerAuthentication payments/default',
    ]);
    const { posted } = await postAlert(alert);
    const buttons = posted[0]?.blocks.flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []));
    expect(buttons?.map((b) => b.text.text)).toEqual(['Revert PeerAuthentication payments/default']);
    expect(posted[0]?.text).not.toContain('other/default');
  });

  it('a channel that sees only the broken pairs’ namespaces gets the alert', async () => {
    const alert = await burstWithAnUnrelatedChange();
    const posted: unknown[] = [];
    const client = {
      chat: {
        postMessage: async (m: unknown) => {
          posted.push(m);
          return { ok: true, ts: '1.1' };
        },
      },
    } as unknown as WebClient;
    const config = {
      access: { channels: { C0PAY: ['payments', 'legacy'] } },
      watch: { channels: ['C0PAY'] },
    } as unknown as BotConfig;
    await changeAlertPoster({
      config,
      plans: new PlanCache(),
      logger: createLogger('silent'),
      client,
      mayRevert: mayRevertAll,
    })(alert);
    expect(posted).toHaveLength(1);
  });
});

it('of two policies changed in the broken pairs’ namespace, only the one without which they work is blamed', async () => {
  const fake = paymentsCluster();
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode: 'PERMISSIVE' } };
  });
  const h = await watchAlerts(fake);
  harness = h;
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode: 'STRICT' } };
  });
  // Same namespace, same scope, but it selects no workload that serves the broken pair.
  fake.create({
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name: 'ledger', namespace: 'payments' },
    spec: { selector: { matchLabels: { app: 'ledger' } }, mtls: { mode: 'PERMISSIVE' } },
  } as never);
  await until(() => h.seen.length > 0, 'the alert', 10_000);
  expect(h.evaluated).toHaveLength(1);
  expect(h.seen[0]?.changes.map((c) => `${c.type} ${c.kind} ${c.namespace}/${c.name}`)).toEqual([
    'MODIFIED PeerAuthentication payments/default',
  ]);
}, 30_000);

describe('Revert button labels', () => {
  it('name kind, namespace and name; past Slack’s limit they keep both ends of the name', () => {
    expect(revertLabel({ kind: 'PeerAuthentication', namespace: 'other', name: 'default' })).toBe(
      'Revert PeerAuthentication other/default',
    );
    const long = (n: number) => ({
      kind: 'DestinationRule',
      namespace: 'shop',
      name: `${'a-very-long-destination-rule-name-'.repeat(3)}${n}`,
    });
    const [a, b] = [revertLabel(long(1)), revertLabel(long(2))];
    expect(a).not.toBe(b);
    expect(a.length).toBe(LIMITS.buttonText);
    expect(a).toMatch(/^Revert DestinationRule shop\/a-very-long.*….*-name-1$/);
  });
});
