// An object the analysis cannot read is left out of the view with a gap; that gap says nothing about
// whether the view is current, so it must not hold back the change alerts of the whole cluster.
import { afterEach, expect, it } from 'vitest';
import { type AlertHarness, watchAlerts } from '../helpers/alert-harness.js';
import { paymentsCluster } from '../helpers/payments-cluster.js';
import { until } from '../helpers/until.js';

let harness: AlertHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

it("a tenant's unreadable DestinationRule does not silence the alerts of another namespace's break", async () => {
  const fake = paymentsCluster();
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode: 'PERMISSIVE' } };
  });
  harness = await watchAlerts(fake);
  // A rule the analysis cannot read (a CRD without a schema keeps it): left out, with a gap.
  fake.create({
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'legacy-dr', namespace: 'legacy' },
    spec: { host: 'cron.legacy.svc.cluster.local', trafficPolicy: { tls: { mode: 'istio_mutual' } } },
  } as never);
  const h = harness;
  await until(() => h.model.snapshot().gaps.some((g) => g.source.includes('legacy-dr')), 'the gap', 10_000);
  await new Promise((r) => setTimeout(r, 500));
  // Later, payments becomes STRICT: the legacy client's calls fail.
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode: 'STRICT' } };
  });
  await until(() => h.seen.length > 0, 'the alert', 10_000);
  expect(h.seen[0]?.changes.map((c) => `${c.kind} ${c.namespace}/${c.name}`)).toContain(
    'PeerAuthentication payments/default',
  );
}, 30_000);
