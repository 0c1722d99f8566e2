// Blame is decided pair by pair: a change that broke one pair is not dropped because another change of
// the burst, put back alone, repairs a different pair. A pair that no single put-back repairs (two
// policies that each make it STRICT) is blamed on every change whose scope covers it, and the alert
// says that its blame could not be narrowed.
import { afterEach, expect, it } from 'vitest';
import { type AlertHarness, watchAlerts } from '../helpers/alert-harness.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { paymentsCluster } from '../helpers/payments-cluster.js';
import { postAlert } from '../helpers/post-alert.js';
import { until } from '../helpers/until.js';

let harness: AlertHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

/** The payments cluster with a second injected service, shop, and payments PERMISSIVE at first. */
function withShop(): FakeKubeApi {
  const fake = paymentsCluster();
  fake.add(
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } },
    } as never,
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'shop-0',
        namespace: 'shop',
        labels: { app: 'shop', 'security.istio.io/tlsMode': 'istio' },
      },
      spec: { containers: [{ name: 'app', ports: [{ containerPort: 8080 }] }, { name: 'istio-proxy' }] },
      status: { phase: 'Running' },
    } as never,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'shop', namespace: 'shop' },
      spec: { selector: { app: 'shop' }, ports: [{ port: 80, targetPort: 8080 }] },
    } as never,
  );
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode: 'PERMISSIVE' } };
  });
  return fake;
}

const strict = (namespace: string, name: string, app?: string) =>
  ({
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name, namespace },
    spec: { ...(app ? { selector: { matchLabels: { app } } } : {}), mtls: { mode: 'STRICT' } },
  }) as never;

/** payments made STRICT, beside it a policy that serves no broken pair, and the given shop policies. */
async function burst(fake: FakeKubeApi, shop: readonly unknown[]) {
  const h = await watchAlerts(fake);
  harness = h;
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode: 'STRICT' } };
  });
  fake.create({
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name: 'ledger', namespace: 'payments' },
    spec: { selector: { matchLabels: { app: 'ledger' } }, mtls: { mode: 'PERMISSIVE' } },
  } as never);
  for (const object of shop) fake.create(object as never);
  await until(() => h.seen.length > 0, 'the alert', 10_000);
  expect(h.evaluated).toHaveLength(1);
  const alert = h.seen[0];
  if (!alert) throw new Error('no alert');
  expect(alert.sample.map((p) => `${p.from} -> ${p.to}`).sort()).toEqual([
    'legacy/cron-0 -> payments/payments:80',
    'legacy/cron-0 -> shop/shop:80',
  ]);
  return alert;
}

const names = (changes: readonly { type: string; kind: string; namespace?: string; name: string }[]) =>
  changes.map((c) => `${c.type} ${c.kind} ${c.namespace}/${c.name}`).sort();

it('keeps two changes that each break a pair on their own, although another change repairs a different pair', async () => {
  const alert = await burst(withShop(), [strict('shop', 'default'), strict('shop', 'shop-strict', 'shop')]);
  expect(names(alert.changes)).toEqual([
    'ADDED PeerAuthentication shop/default',
    'ADDED PeerAuthentication shop/shop-strict',
    'MODIFIED PeerAuthentication payments/default',
  ]);
  expect(alert.unnarrowed).toBe('together');
  const { posted } = await postAlert(alert);
  const text = posted[0]?.blocks.map((b) => b.text?.text ?? '').join('\n');
  expect(text).toContain('Blame not narrowed for some pairs');
}, 30_000);

it('blames one change per broken pair when each pair has its own, and says nothing of narrowing', async () => {
  const alert = await burst(withShop(), [strict('shop', 'default')]);
  expect(names(alert.changes)).toEqual([
    'ADDED PeerAuthentication shop/default',
    'MODIFIED PeerAuthentication payments/default',
  ]);
  expect(alert.unnarrowed).toBeUndefined();
  const { posted } = await postAlert(alert);
  expect(posted[0]?.blocks.map((b) => b.text?.text ?? '').join('\n')).not.toContain('not narrowed');
}, 30_000);
