// Live change alerts scope each kind to the pairs it can reach: a VirtualService by the hosts it had
// and has (any case, ServiceEntry hosts too), a Service with its exportTo annotation (found by review).
import { Watch } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { buildMatrix } from '../../src/engine/matrix.js';
import { ResolvedMesh } from '../../src/mesh/resolve.js';
import { createKubeApi } from '../../src/snapshot/live/kube-api.js';
import { ClusterModel } from '../../src/snapshot/live/model.js';
import { type BreakingChange, ChangeAlerts } from '../../src/snapshot/live/watch-alerts.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { paymentsCluster } from '../helpers/payments-cluster.js';

let fake: FakeKubeApi;
let model: ClusterModel | undefined;
let alerts: ChangeAlerts | undefined;
afterEach(async () => {
  alerts?.stop();
  model?.stop();
  await fake?.stop();
});
let evaluated: (BreakingChange | undefined)[] = [];
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function start(setup: (f: FakeKubeApi) => void): Promise<BreakingChange[]> {
  evaluated = [];
  fake = paymentsCluster();
  setup(fake);
  const config = fake.kubeConfig(await fake.start());
  model = new ClusterModel(createKubeApi({ kubeConfig: config }), new Watch(config));
  const seen: BreakingChange[] = [];
  alerts = new ChangeAlerts(model, {
    debounceMs: 200,
    onAlert: (a) => seen.push(a),
    onEvaluated: (a) => evaluated.push(a),
  });
  model.start();
  await alerts.start(10_000);
  while (fake.openWatches() < 11) await settle(20);
  return seen;
}
const failing = () =>
  new Set(
    buildMatrix(new ResolvedMesh((model as ClusterModel).snapshot()), undefined)
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
