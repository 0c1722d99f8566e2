// The live model's LIST of a kind ends like the one-off read's: a continue token the API server
// repeats, or new tokens without end, stop the list as a gap instead of asking for pages forever
// while the objects pile up (the watcher lists again after its back-off).
import { afterEach, expect, it } from 'vitest';
import { createKubeApi, type KubeApi } from '../../src/snapshot/live/kube-api.js';
import { ClusterModel } from '../../src/snapshot/live/model.js';
import { StreamWatch } from '../../src/snapshot/live/watch-stream.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { paymentsCluster } from '../helpers/payments-cluster.js';

let fake: FakeKubeApi | undefined;
let model: ClusterModel | undefined;
afterEach(async () => {
  model?.stop();
  await fake?.stop();
});

const onePod = { metadata: { name: 'a', namespace: 'payments' }, spec: { containers: [] } };
const podLists = () =>
  fake?.requests.filter((r) => r.path === '/api/v1/pods' && r.query.get('watch') !== 'true').length ?? 0;

async function startModel(options: ConstructorParameters<typeof ClusterModel>[2] = {}) {
  const config = (fake as FakeKubeApi).kubeConfig(await (fake as FakeKubeApi).start());
  model = new ClusterModel(createKubeApi({ kubeConfig: config }), new StreamWatch(config), {
    backoffMs: { first: 60_000, max: 60_000 },
    ...options,
  });
  model.start();
  expect(await model.whenSettled(10_000)).toBe(true);
  return model.status().kinds.find((k) => k.name === 'pods');
}

it('a repeated continue token ends the pods LIST as a gap after two pages', async () => {
  fake = paymentsCluster().fault('/api/v1/pods', {
    list: true,
    body: JSON.stringify({ kind: 'PodList', metadata: { continue: 'same' }, items: [onePod] }),
  });
  const pods = await startModel();
  expect(pods?.synced).toBe(false);
  expect(pods?.gap?.reason).toContain(
    'the API server answered page 2 with a continue token it had already given: the list was stopped unfinished',
  );
  await new Promise((r) => setTimeout(r, 200));
  expect(podLists()).toBe(2);
});

it('new tokens without end stop at the page cap', async () => {
  fake = paymentsCluster();
  const config = fake.kubeConfig(await fake.start());
  const real = createKubeApi({ kubeConfig: config });
  let pages = 0;
  const api: KubeApi = {
    ...real,
    getJson: async (path, query = {}) => {
      if (path !== '/api/v1/pods') return real.getJson(path, query);
      pages++;
      return { kind: 'PodList', metadata: { continue: `t${pages}` }, items: [] };
    },
  };
  model = new ClusterModel(api, new StreamWatch(config), {
    backoffMs: { first: 60_000, max: 60_000 },
    paging: { maxPages: 20 },
  });
  model.start();
  expect(await model.whenSettled(10_000)).toBe(true);
  const pods = model.status().kinds.find((k) => k.name === 'pods');
  expect(pods?.gap?.reason).toContain('still more to come after 20 pages and 0 objects');
  expect(pages).toBe(20);
});
