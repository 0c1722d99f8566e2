// After a 410 the re-LIST tells what changed by resourceVersion. Pods are kept reduced in the model,
// and the reduction dropped their version: a pod changed while the watch's version expired (a
// sidecar.istio.io/inject label) reached the model but was never told to the change alerts.
import { afterEach, expect, it } from 'vitest';
import { createKubeApi } from '../../src/snapshot/live/kube-api.js';
import { ClusterModel } from '../../src/snapshot/live/model.js';
import { StreamWatch } from '../../src/snapshot/live/watch-stream.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { paymentsCluster } from '../helpers/payments-cluster.js';
import { until } from '../helpers/until.js';

let fake: FakeKubeApi;
let model: ClusterModel | undefined;
afterEach(async () => {
  model?.stop();
  await fake?.stop();
});

it('a pod changed while the watch version expired is told as MODIFIED by the re-LIST, and only that pod', async () => {
  fake = paymentsCluster();
  const config = fake.kubeConfig(await fake.start());
  model = new ClusterModel(createKubeApi({ kubeConfig: config }), new StreamWatch(config), {
    backoffMs: { first: 50, max: 200 },
  });
  model.start();
  expect(await model.whenSynced(10_000)).toBe(true);
  await until(() => fake.openWatches() === 14, 'watches not open', 10_000);
  const told: string[] = [];
  model.onObjectChange(({ type, before, after }) => {
    const object = (after ?? before)?.object as
      | { metadata?: { namespace?: string; name?: string } }
      | undefined;
    const meta = object?.metadata ?? {};
    told.push(`${type} ${meta.namespace}/${meta.name}`);
  });
  const lists = () => fake.requests.filter((r) => r.query.get('watch') !== 'true').length;
  const before = lists();
  fake.expire(() => {
    fake.update('Pod', 'legacy', 'cron-0', (o) => {
      o.metadata.labels = { app: 'cron', 'sidecar.istio.io/inject': 'true' };
    });
  });
  await until(() => lists() >= before + 14, 're-LISTs not made', 10_000);
  await until(() => told.length > 0, 'the re-LIST told nothing', 5_000);
  expect(told.filter((t) => t.includes('/cron-0') || t.includes('/payments-0'))).toEqual([
    'MODIFIED legacy/cron-0',
  ]);
}, 30_000);
