// A burst held for a watch that is down (a 403 that may last for good) is said: once when the alerts
// pause, with the kind, since when and how many changes wait, and once when they resume.
import { afterEach, expect, it } from 'vitest';
import { type AlertHarness, watchAlerts } from '../helpers/alert-harness.js';
import { paymentsCluster } from '../helpers/payments-cluster.js';
import { postAlert } from '../helpers/post-alert.js';
import { until } from '../helpers/until.js';

let harness: AlertHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const SIDECARS = '/apis/networking.istio.io/v1/sidecars';

it('a watch refused after the first sync pauses the alerts once, saying so, and their resuming is said too', async () => {
  const fake = paymentsCluster();
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode: 'PERMISSIVE' } };
  });
  // The ClusterRole grants list but not watch on Sidecars (or watch was revoked).
  let refusing = true;
  fake.fault(SIDECARS, {
    watch: true,
    when: () => refusing,
    status: 403,
    reason: 'Forbidden',
    message: 'sidecars.networking.istio.io is forbidden: cannot watch',
  });
  const h = await watchAlerts(fake, 12, { backoffMs: { first: 50, max: 200 } });
  harness = h;
  await until(() => h.model.status().kinds.some((k) => k.gap), 'the sidecars watch down', 10_000);
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode: 'STRICT' } };
  });
  await until(() => h.held.length > 0, 'the pause said', 10_000);
  const [pause] = h.held;
  expect(pause?.state).toBe('paused');
  expect(pause?.waiting).toBe(1);
  expect(pause?.kinds.map((k) => k.name)).toEqual(['sidecars.networking.istio.io']);
  expect(pause?.kinds[0]?.since).toMatch(/^\d{4}-\d\d-\d\dT/);
  expect(pause?.kinds[0]?.reason).toContain('forbidden');
  // More changes in the same outage: no second pause.
  fake.create({
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name: 'default', namespace: 'legacy' },
    spec: { mtls: { mode: 'PERMISSIVE' } },
  } as never);
  await new Promise((r) => setTimeout(r, 800));
  expect(h.held).toHaveLength(1);
  expect(h.evaluated).toEqual([]);
  refusing = false;
  await until(() => h.seen.length > 0, 'the held burst compared', 10_000);
  expect(h.held.map((x) => [x.state, x.waiting])).toEqual([
    ['paused', 1],
    ['resumed', 2],
  ]);
}, 30_000);

it('the watch channels get one post when the alerts pause and one when they resume', async () => {
  const kinds = [
    { name: 'sidecars.networking.istio.io', since: '2026-01-02T03:04:05.000Z', reason: 'forbidden (…)' },
  ];
  const paused = await postAlert({ held: { state: 'paused', kinds, waiting: 3 } });
  expect(paused.posted.map((m) => m.text)).toEqual([
    ':double_vertical_bar: Change alerts paused: `sidecars.networking.istio.io` not watched since 2026-01-02T03:04:05.000Z; 3 change(s) waiting, compared once the watch is back.',
  ]);
  const resumed = await postAlert({ held: { state: 'resumed', kinds, waiting: 3 } });
  expect(resumed.posted.map((m) => m.text)).toEqual([
    ':arrow_forward: Change alerts resumed: the watches are back; the 3 waiting change(s) are compared now.',
  ]);
});
