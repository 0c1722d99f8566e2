// A watch that hangs is no quiet watch: a request the API server never answers, a stream that stops
// delivering (no event, no bookmark), a stream that outlives the timeout it asked for. Each is cut at
// its deadline, the kind is down (a gap naming it, a growing sync age) and the watch is tried again,
// against a loopback API server that holds or silences the PeerAuthentication watch.
import { afterEach, describe, expect, it } from 'vitest';
import { BotMetrics } from '../../src/ops/metrics.js';
import { createKubeApi } from '../../src/snapshot/live/kube-api.js';
import { ClusterModel, type ModelOptions, type ModelStatus } from '../../src/snapshot/live/model.js';
import { StreamWatch } from '../../src/snapshot/live/watch-stream.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { paymentsCluster } from '../helpers/payments-cluster.js';
import { until as poll } from '../helpers/until.js';

let fake: FakeKubeApi;
let model: ClusterModel | undefined;
afterEach(async () => {
  model?.stop();
  model = undefined;
  await fake?.stop();
});

async function start(options: ModelOptions, prepare: (f: FakeKubeApi) => void = () => {}) {
  fake = paymentsCluster();
  prepare(fake);
  const config = fake.kubeConfig(await fake.start());
  model = new ClusterModel(createKubeApi({ kubeConfig: config }), new StreamWatch(config), {
    backoffMs: { first: 50, max: 200 },
    ...options,
  });
  model.start();
  expect(await model.whenSynced(10_000)).toBe(true);
  await until(() => fake.openWatches() === 14, 'fourteen open watches');
  return model;
}

const PA = 'peerauthentications.security.istio.io';
const PA_PATH = '/apis/security.istio.io/v1/peerauthentications';
const paOf = (status: ModelStatus) => status.kinds.find((k) => k.name === PA);
const mode = (m: ClusterModel) =>
  m.snapshot().peerAuthentications.find((p) => p.meta.namespace === 'payments')?.mode;
const disable = () =>
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode: 'DISABLE' } };
  });
const watches = (path: string) =>
  fake.requests.filter((r) => r.path === path && r.query.get('watch') === 'true');
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = (condition: () => boolean, what: string) =>
  poll(condition, `timed out waiting for ${what}`, 10_000);

async function syncAge(m: ClusterModel, kind: string): Promise<number | undefined> {
  const metrics = new BotMetrics();
  metrics.observeModel(m.status());
  const gauge = await metrics.registry.getSingleMetric('mtls_doctor_watch_sync_age_seconds')?.get();
  return gauge?.values.find((v) => v.labels.kind === kind)?.value;
}

describe('watch deadlines', { timeout: 20_000 }, () => {
  it('a watch request never answered is cut after the headers deadline: a gap, a growing sync age, retries, no request left hanging', async () => {
    const m = await start({ watchDeadlines: { headersMs: 500 } });
    // From now on the PeerAuthentication watch is accepted and never answered; the open streams end.
    fake.fault('/apis/security.istio.io/v1/peerauthentications', {
      watch: true,
      until: new Promise(() => {}),
    });
    fake.closeWatches();
    disable();
    await until(() => paOf(m.status())?.healthy === false, 'the PeerAuthentication watch down');
    expect(m.snapshot().gaps).toEqual([
      {
        source: 'peerauthentications.security.istio.io watch (all namespaces)',
        reason: expect.stringMatching(
          /^no answer to the watch request within 0\.5 s; answers show what was seen until \d{4}-/,
        ),
      },
    ]);
    // What was last seen, next to the gap: never a silent stale answer.
    expect(mode(m)).toBe('STRICT');
    const age = (await syncAge(m, PA)) ?? 0;
    await settle(1_500);
    expect(await syncAge(m, PA)).toBeGreaterThanOrEqual(age + 1);
    expect(paOf(m.status())?.healthy).toBe(false);
    // Tried again and again, each unanswered request cancelled: the server holds the one in flight at most.
    expect(watches(PA_PATH).length).toBeGreaterThanOrEqual(4);
    expect(fake.heldRequests()).toBeLessThanOrEqual(1);
    fake.fault('/apis/security.istio.io/v1/peerauthentications', { watch: true, times: 0 });
    await until(() => mode(m) === 'DISABLE' && m.snapshot().gaps.length === 0, 'the watch back, caught up');
  });

  it('a stream that stops delivering (no event, no bookmark) is cut after two bookmark intervals, and the next one catches up', async () => {
    const m = await start({ watchDeadlines: { silenceMs: 1_000 } });
    // The loopback server sends bookmarks every 200 ms: the kinds have seen some.
    await settle(500);
    const statuses: ModelStatus[] = [];
    m.onStatus((status) => statuses.push(status));
    // Nothing reaches the open streams any more, bookmarks included; new streams get what they ask for.
    fake.eventDelayMs = 10 * 60_000;
    disable();
    await until(
      () => statuses.some((s) => paOf(s)?.gap?.reason.includes('the watch stream went silent') === true),
      'the silent PeerAuthentication stream a gap',
    );
    expect(statuses.map(paOf).find((k) => k?.gap)?.gap).toEqual({
      source: 'peerauthentications.security.istio.io watch (all namespaces)',
      reason: expect.stringContaining('the watch stream went silent: no event or bookmark for 1 s'),
    });
    await until(() => mode(m) === 'DISABLE', 'the change the silent stream held back');
    // A kind whose new stream delivers nothing either stays down: opening a stream proves nothing.
    const namespaces = () => m.status().kinds.find((k) => k.name === 'namespaces');
    await until(() => namespaces()?.healthy === false, 'the silent namespaces stream cut');
    await settle(600);
    expect(watches('/api/v1/namespaces').length).toBeGreaterThanOrEqual(2);
    expect(namespaces()?.healthy).toBe(false);
    expect(m.snapshot().gaps.map((g) => g.source)).toContain('namespaces watch (all namespaces)');
  });

  it('an API server that sends no bookmarks: a stream still open and silent past the timeout it asked for is cut', async () => {
    const m = await start({ watchTimeoutSeconds: 1, watchDeadlines: { graceMs: 500 } }, (f) => {
      f.bookmarkMs = 3_600_000;
    });
    // A proxy holds every new PeerAuthentication stream open and passes nothing, not even its end.
    fake.fault('/apis/security.istio.io/v1/peerauthentications', { watch: true, stall: true });
    fake.closeWatches();
    await until(() => paOf(m.status())?.healthy === false, 'the stalled PeerAuthentication watch down');
    expect(m.snapshot().gaps).toEqual([
      {
        source: 'peerauthentications.security.istio.io watch (all namespaces)',
        reason: expect.stringContaining(
          'the watch stream went silent: no event for 1.5 s, past the 1 s it was asked to last',
        ),
      },
    ]);
    expect(fake.heldRequests()).toBeLessThanOrEqual(1);
    // The other kinds' quiet streams end as asked and are not down.
    expect(
      m
        .status()
        .kinds.filter((k) => !k.healthy)
        .map((k) => k.name),
    ).toEqual([PA]);
    fake.fault('/apis/security.istio.io/v1/peerauthentications', { watch: true, times: 0 });
    disable();
    await until(() => mode(m) === 'DISABLE' && m.snapshot().gaps.length === 0, 'the watch back, caught up');
  });
});
