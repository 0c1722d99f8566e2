// Live change alerts scope each kind to the pairs it can reach: a VirtualService by the hosts it had
// and has (any case, ServiceEntry hosts too), a Service with its exportTo annotation (found by review).
import { afterEach, describe, expect, it } from 'vitest';
import { buildMatrix } from '../../src/engine/matrix.js';
import { ResolvedMesh } from '../../src/mesh/resolve.js';
import type { BreakingChange } from '../../src/snapshot/live/watch-alerts.js';
import { type AlertHarness, watchAlerts } from '../helpers/alert-harness.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { paymentsCluster } from '../helpers/payments-cluster.js';

let fake: FakeKubeApi;
let harness: AlertHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});
let evaluated: (BreakingChange | undefined)[] = [];
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function start(setup: (f: FakeKubeApi) => void): Promise<BreakingChange[]> {
  fake = paymentsCluster();
  setup(fake);
  harness = await watchAlerts(fake);
  evaluated = harness.evaluated;
  return harness.seen;
}
const failing = () =>
  new Set(
    buildMatrix(new ResolvedMesh((harness as AlertHarness).model.snapshot()), undefined)
      .pairs.filter((p) => p.outcome === 'fail')
      .map((p) => `${p.from}→${p.to} ${p.reason}`),
  );

const subsetDr = (host: string, ns = 'payments') => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: 'plain', namespace: ns },
  spec: { host, subsets: [{ name: 'plain', labels: {}, trafficPolicy: { tls: { mode: 'DISABLE' } } }] },
});
const vs = (hosts: string[], dest: string) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'r', namespace: 'payments' },
  spec: { hosts, http: [{ route: [{ destination: { host: dest, subset: 'plain' } }] }] },
});

describe('watch-alert scopes', { timeout: 20_000 }, () => {
  it('VS hosts moved away: old host not in scope', async () => {
    // The VirtualService keeps calls to payments on subset `plain` (ISTIO_MUTUAL) of a rule whose top
    // level is DISABLE; moving it to another host sends them to the top level.
    const seen = await start((f) => {
      f.add({
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: 'p', namespace: 'payments' },
        spec: {
          host: 'payments',
          trafficPolicy: { tls: { mode: 'DISABLE' } },
          subsets: [{ name: 'plain', labels: {}, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }],
        },
      });
      f.add(vs(['payments'], 'payments'));
    });
    const was = failing();
    fake.update('VirtualService', 'payments', 'r', (o) => {
      (o.spec as { hosts: string[] }).hosts = ['other.legacy.svc.cluster.local'];
    });
    while (evaluated.length === 0) await settle(20);
    const now = failing();
    expect([...now].filter((k) => !was.has(k)).length).toBeGreaterThan(0);
    expect(seen).toHaveLength(1);
  });
  it('VS with an uppercase namespace in its host', async () => {
    const seen = await start((f) => {
      f.add(subsetDr('payments'));
    });
    const was = failing();
    fake.create(vs(['payments.PAYMENTS.svc.cluster.local'], 'payments.payments.svc.cluster.local'));
    while (evaluated.length === 0) await settle(20);
    expect([...failing()].filter((k) => !was.has(k)).length).toBeGreaterThan(0);
    expect(seen).toHaveLength(1);
  });
  it('VS for a two-label ServiceEntry host', async () => {
    const seen = await start((f) => {
      f.add({
        apiVersion: 'networking.istio.io/v1',
        kind: 'ServiceEntry',
        metadata: { name: 'api', namespace: 'payments' },
        spec: {
          hosts: ['api.corp'],
          location: 'MESH_INTERNAL',
          resolution: 'STATIC',
          workloadSelector: { labels: { app: 'payments' } },
          ports: [{ number: 8080, name: 'http', protocol: 'HTTP' }],
        },
      });
      f.add(subsetDr('api.corp'));
    });
    const was = failing();
    fake.create(vs(['api.corp'], 'api.corp'));
    while (evaluated.length === 0) await settle(20);
    expect([...failing()].filter((k) => !was.has(k)).length).toBeGreaterThan(0);
    expect(seen).toHaveLength(1);
  });
  it('Service exportTo annotation', async () => {
    const seen = await start((f) => {
      f.add({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'web', labels: { 'istio-injection': 'enabled' } },
      });
      f.add({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'web-0',
          namespace: 'web',
          labels: { app: 'web', 'security.istio.io/tlsMode': 'istio' },
        },
        spec: { containers: [{ name: 'app' }, { name: 'istio-proxy' }] },
        status: { phase: 'Running' },
      });
    });
    const was = failing();
    fake.update('Service', 'payments', 'payments', (o) => {
      o.metadata.annotations = { 'networking.istio.io/exportTo': '.' };
    });
    while (evaluated.length === 0) await settle(20);
    expect([...failing()].filter((k) => !was.has(k)).length).toBeGreaterThan(0);
    expect(seen).toHaveLength(1);
  });
});
