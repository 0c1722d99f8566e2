// After a 410 Gone the kind's store is as old as the last event seen: until the re-LIST ends it is
// not current, and every answer (and the change alerts) must say so, however long that LIST takes.
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
  model = undefined;
  await fake?.stop();
});

const PA = '/apis/security.istio.io/v1/peerauthentications';

it('while the re-LIST after a 410 is slow, the kind is a gap saying since when its view is; the list clears it', async () => {
  fake = paymentsCluster();
  const config = fake.kubeConfig(await fake.start());
  const m = new ClusterModel(createKubeApi({ kubeConfig: config }), new StreamWatch(config));
  model = m;
  m.start();
  expect(await m.whenSynced(10_000)).toBe(true);
  await until(() => fake.openWatches() === 14, 'fourteen open watches', 10_000);
  let slow = false;
  fake.fault(PA, { when: () => slow, delayMs: 3_000, list: true });
  slow = true;
  // (The fake delays the re-watch too: the 410 itself comes after one delay, the list after another.)
  // etcd compaction: the watches get 410, and the policy changes meanwhile.
  fake.expire(() =>
    fake.update('PeerAuthentication', 'payments', 'default', (o) => {
      o.spec = { mtls: { mode: 'DISABLE' } };
    }),
  );
  const kind = () => m.status().kinds.find((k) => k.name === 'peerauthentications.security.istio.io');
  await until(() => kind()?.gap !== undefined, 'the gap while re-listing', 5_000);
  expect(kind()?.healthy).toBe(false);
  const gap = m.snapshot().gaps.find((g) => g.source.startsWith('peerauthentications'));
  expect(gap?.reason).toMatch(
    /^re-listing after the watch expired \(410 Gone\); showing the view as of \d{4}-\d\d-\d\dT/,
  );
  slow = false;
  await until(() => kind()?.gap === undefined, 'the re-LIST done', 10_000);
  expect(kind()?.healthy).toBe(true);
  const mode = m.snapshot().peerAuthentications.find((p) => p.meta.namespace === 'payments')?.mode;
  expect(mode).toBe('DISABLE');
  expect(m.snapshot().gaps).toEqual([]);
}, 30_000);
