// The live model against a loopback API server that serves WATCH: one LIST per kind, then only watch
// streams; changes arrive as events; an expired version re-LISTs; a refused watch is a gap until it
// is back; the bot's own write is waited for.
import { Watch } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { modelReadiness } from '../../src/ops/ops-server.js';
import { createKubeApi } from '../../src/snapshot/live/kube-api.js';
import { ClusterModel, type ModelOptions } from '../../src/snapshot/live/model.js';
import { modelSource, stopLiveModels } from '../../src/snapshot/live/model-source.js';
import { StreamWatch } from '../../src/snapshot/live/watch-stream.js';
import type { RawObject } from '../../src/snapshot/read-manifests.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';
import { until as poll } from '../helpers/until.js';

let fake: FakeKubeApi;
let model: ClusterModel | undefined;
afterEach(async () => {
  model?.stop();
  model = undefined;
  await fake?.stop();
});

async function start(options: ModelOptions = {}): Promise<ClusterModel> {
  fake = paymentsCluster();
  const config = fake.kubeConfig(await fake.start());
  const api = createKubeApi({ kubeConfig: config });
  // The watch client `serve` uses.
  model = new ClusterModel(api, new StreamWatch(config), { backoffMs: { first: 50, max: 200 }, ...options });
  model.start();
  expect(await model.whenSynced(10_000)).toBe(true);
  return model;
}

const mode = (m: ClusterModel) =>
  m.snapshot().peerAuthentications.find((p) => p.meta.name === 'default' && p.meta.namespace === 'payments')
    ?.mode;
const lists = () => fake.requests.filter((r) => r.query.get('watch') !== 'true');
const watches = () => fake.requests.filter((r) => r.query.get('watch') === 'true');
const PA_PATH = '/apis/security.istio.io/v1/peerauthentications';
const paKind = (m: ClusterModel) =>
  m.status().kinds.find((k) => k.name === 'peerauthentications.security.istio.io');
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

const until = (condition: () => boolean, what: string) =>
  poll(condition, `timed out waiting for ${what}`, 10_000);

describe('the live model', { timeout: 20_000 }, () => {
  it('lists each kind once, then watches with bookmarks from the list version', async () => {
    const m = await start();
    const snapshot = m.snapshot();
    expect(snapshot.namespaces.map((n) => n.name).sort()).toEqual(['legacy', 'payments']);
    expect(mode(m)).toBe('STRICT');
    expect(snapshot.gaps).toEqual([]);
    // 14 kinds: namespaces, pods, services, 2 ConfigMap reads, Gateways, 2 webhook configurations,
    // AuthorizationPolicies,
    // 5 Istio kinds (PA, DR, SE, Sidecar, VS).
    expect(lists()).toHaveLength(14);
    await until(() => watches().length === 14, 'fourteen watches');
    for (const w of watches()) {
      expect(w.query.get('allowWatchBookmarks')).toBe('true');
      expect(Number(w.query.get('resourceVersion'))).toBeGreaterThan(0);
    }
    expect(
      watches()
        .find((w) => w.path === '/api/v1/configmaps')
        ?.query.get('fieldSelector'),
    ).toBe('metadata.name=istio-ca-root-cert');
  });

  it('a change made through the API shows in the next snapshot without a request of the model', async () => {
    const m = await start();
    await until(() => fake.openWatches() === 14, 'fourteen open watches');
    const before = fake.requests.length;
    const changed = fake.update('PeerAuthentication', 'payments', 'default', (o) => {
      o.spec = { mtls: { mode: 'PERMISSIVE' } };
    });
    expect(
      await m.seen(
        [
          {
            kind: 'PeerAuthentication',
            namespace: 'payments',
            name: 'default',
            resourceVersion: String(changed.metadata.resourceVersion),
          },
        ],
        5_000,
      ),
    ).toBe(true);
    expect(mode(m)).toBe('PERMISSIVE');
    fake.remove('Pod', 'legacy', 'cron-0');
    await until(() => !m.snapshot().workloads.some((w) => w.meta.name === 'cron-0'), 'the deleted pod gone');
    expect(fake.requests.length).toBe(before);
  });

  it('a Sidecar and a VirtualService created through the API come in by their watches, with no LIST', async () => {
    const m = await start();
    await until(() => fake.openWatches() === 14, 'fourteen open watches');
    expect(m.snapshot().sidecars).toEqual([]);
    const before = fake.requests.length;
    fake.create({
      apiVersion: 'networking.istio.io/v1',
      kind: 'Sidecar',
      metadata: { name: 'default', namespace: 'legacy' },
      spec: { egress: [{ hosts: ['./*'] }] },
    });
    const route = fake.create({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'payments', namespace: 'payments' },
      spec: {
        hosts: ['payments'],
        http: [{ route: [{ destination: { host: 'payments', subset: 'v2' } }] }],
      },
    });
    const written = { kind: 'VirtualService', namespace: 'payments', name: 'payments' };
    expect(
      await m.seen([{ ...written, resourceVersion: String(route.metadata.resourceVersion) }], 5_000),
    ).toBe(true);
    await until(() => (m.snapshot().sidecars ?? []).length === 1, 'the Sidecar');
    expect(m.snapshot().sidecars?.[0]?.egress.flatMap((e) => e.hosts)).toEqual(['./*']);
    expect(m.snapshot().virtualServices?.map((v) => `${v.meta.namespace}/${v.meta.name}`)).toEqual([
      'payments/payments',
    ]);
    fake.remove('Sidecar', 'legacy', 'default');
    await until(() => (m.snapshot().sidecars ?? []).length === 0, 'the deleted Sidecar gone');
    expect(fake.requests.length).toBe(before);
  });

  it('410 Gone on re-watch (the version expired): a fresh LIST picks up what the watch missed', async () => {
    const m = await start();
    await until(() => fake.openWatches() === 14, 'fourteen open watches');
    const listsBefore = lists().length;
    fake.expire(() =>
      fake.update('PeerAuthentication', 'payments', 'default', (o) => {
        o.spec = { mtls: { mode: 'DISABLE' } };
      }),
    );
    await until(() => mode(m) === 'DISABLE', 'the missed change');
    // Every kind's watch expired: each one listed again.
    await until(() => lists().length === listsBefore + 14, 'fourteen re-LISTs');
    expect(
      lists()
        .slice(listsBefore)
        .map((r) => r.path),
    ).toContain('/apis/security.istio.io/v1/peerauthentications');
    // Each kind is a gap until its re-LIST has been answered, not only asked for.
    await until(() => m.snapshot().gaps.length === 0, 'every re-LIST answered');
  });

  it('a re-LIST after 410 tells what changed while the watch could not, as events would have: nothing else', async () => {
    const m = await start();
    await until(() => fake.openWatches() === 14, 'fourteen open watches');
    const told: string[] = [];
    type Spec = { mtls?: { mode?: string } } | undefined;
    m.onObjectChange(({ type, before, after }) => {
      const object = (after ?? before)?.object as RawObject['object'];
      const { namespace, name } = object.metadata as { namespace?: string; name: string };
      const was = (before?.object.spec as Spec)?.mtls?.mode;
      const is = (after?.object.spec as Spec)?.mtls?.mode;
      told.push(`${type} ${object.kind} ${namespace}/${name} ${was}→${is}`);
    });
    const listsBefore = lists().length;
    fake.expire(() => {
      fake.update('PeerAuthentication', 'payments', 'default', (o) => {
        o.spec = { mtls: { mode: 'DISABLE' } };
      });
      fake.remove('Pod', 'legacy', 'cron-0');
      fake.create({
        apiVersion: 'security.istio.io/v1',
        kind: 'PeerAuthentication',
        metadata: { name: 'default', namespace: 'legacy' },
        spec: { mtls: { mode: 'PERMISSIVE' } },
      });
    });
    await until(() => lists().length === listsBefore + 14, 'fourteen re-LISTs');
    await until(() => told.length === 3, 'the three changes told');
    expect(told.sort()).toEqual([
      'ADDED PeerAuthentication legacy/default undefined→PERMISSIVE',
      'DELETED Pod legacy/cron-0 undefined→undefined',
      'MODIFIED PeerAuthentication payments/default STRICT→DISABLE',
    ]);
    // The objects the re-LISTs found as they were (the namespaces, the other pod, the Service) are no change.
    await settle(300);
    expect(told).toHaveLength(3);
  });

  it('streams that end at once with no event (a proxy closing them) are re-opened after a back-off, and are a gap', async () => {
    const m = await start({ backoffMs: { first: 200, max: 1_000 } });
    await until(() => fake.openWatches() === 14, 'fourteen open watches');
    // From now on every PeerAuthentication watch is answered 200 with nothing in it.
    fake.fault('/apis/security.istio.io/v1/peerauthentications', { watch: true, body: '' });
    fake.closeWatches();
    const before = watches().length;
    await settle(2_000);
    const opened = watches()
      .slice(before)
      .filter((r) => r.path === PA_PATH);
    // Without a back-off this is hundreds; with one (100-200 ms, then doubling) a handful.
    expect(opened.length).toBeGreaterThanOrEqual(2);
    expect(opened.length).toBeLessThanOrEqual(8);
    // Nothing comes through such a watch: after a few in a row, answers say so.
    expect(paKind(m)?.healthy).toBe(false);
    expect(m.snapshot().gaps).toEqual([
      {
        source: 'peerauthentications.security.istio.io watch (all namespaces)',
        reason: expect.stringContaining('the watch streams end at once, with no event (3 or more in a row'),
      },
    ]);
    fake.fault('/apis/security.istio.io/v1/peerauthentications', { watch: true, times: 0 });
    await until(() => m.snapshot().gaps.length === 0, 'the gap gone once the streams stay open');
    expect(paKind(m)?.healthy).toBe(true);
  });

  it('a watch answered 410 every time: one re-LIST at once, then the re-LISTs back off', async () => {
    await start({ backoffMs: { first: 200, max: 1_000 } });
    await until(() => fake.openWatches() === 14, 'fourteen open watches');
    const expired = `${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: 'too old resource version' } })}\n`;
    fake.fault('/apis/security.istio.io/v1/peerauthentications', { watch: true, body: expired });
    fake.closeWatches();
    const before = lists().length;
    await settle(2_000);
    const relists = lists()
      .slice(before)
      .filter((r) => r.path === PA_PATH);
    expect(relists.length).toBeGreaterThanOrEqual(2);
    expect(relists.length).toBeLessThanOrEqual(8);
  });

  it('a watch refused with 403 is a gap naming the watch verb until the watch is allowed again', async () => {
    const m = await start();
    await until(() => fake.openWatches() === 14, 'fourteen open watches');
    fake.fault('/apis/security.istio.io/v1/peerauthentications', {
      status: 403,
      reason: 'Forbidden',
      message: 'peerauthentications.security.istio.io is forbidden: cannot watch',
      watch: true,
    });
    fake.closeWatches();
    await until(() => m.snapshot().gaps.length > 0, 'a gap');
    const gap = m.snapshot().gaps[0];
    expect(gap?.source).toBe('peerauthentications.security.istio.io watch (all namespaces)');
    expect(gap?.reason).toContain('the identity needs RBAC verb "watch" on resource "peerauthentications"');
    expect(gap?.reason).toContain('answers show what was seen until');
    // The objects last seen stay in the snapshot, next to the gap.
    expect(mode(m)).toBe('STRICT');
    expect(m.status().kinds.find((k) => k.name === 'peerauthentications.security.istio.io')?.healthy).toBe(
      false,
    );
    fake.fault('/apis/security.istio.io/v1/peerauthentications', { watch: true, times: 0 });
    await until(() => m.snapshot().gaps.length === 0, 'the gap gone');
  });

  it('a write not seen within the bound: seen() says false', async () => {
    const m = await start();
    expect(
      await m.seen(
        [{ kind: 'PeerAuthentication', namespace: 'payments', name: 'default', resourceVersion: '999999' }],
        300,
      ),
    ).toBe(false);
  });

  it('a deleted object is seen once it is gone: not while it is still there, nor while it terminates', async () => {
    const m = await start();
    const version = String(fake.find('PeerAuthentication', 'payments', 'default')?.metadata.resourceVersion);
    const policy = { kind: 'PeerAuthentication', namespace: 'payments', name: 'default' };
    const deleted = [{ ...policy, resourceVersion: version, deleted: true }];
    expect(await m.seen(deleted, 200)).toBe(false);
    // A finalizer holds it: the API server marks it, a newer version, and it stays in effect.
    const marked = fake.update('PeerAuthentication', 'payments', 'default', (o) => {
      o.metadata.deletionTimestamp = '2026-11-30T03:00:00Z';
      o.metadata.finalizers = ['example.com/hold'];
    });
    const update = { ...policy, resourceVersion: String(marked.metadata.resourceVersion) };
    expect(await m.seen([update], 5_000)).toBe(true);
    expect(await m.seen(deleted, 300)).toBe(false);
    fake.remove('PeerAuthentication', 'payments', 'default');
    expect(await m.seen(deleted, 5_000)).toBe(true);
    expect(mode(m)).toBeUndefined();
  });

  it('nothing readable at all: the answer is an error naming the cause, not an empty mesh', async () => {
    fake = paymentsCluster().fault('/', { status: 403, reason: 'Forbidden', message: 'no access' });
    const kubeconfigPath = kubeconfigFile(await fake.start());
    try {
      const load = modelSource(
        { kubeconfigPath, backoffMs: { first: 50, max: 100 } },
        {},
        {
          syncMs: 500,
          writeMs: 0,
        },
      );
      await expect(load()).rejects.toThrow(
        /^cannot read the cluster at http:\/\/127\.0\.0\.1:\d+: forbidden \(HTTP 403: no access\): the identity needs RBAC verb "list"/,
      );
    } finally {
      stopLiveModels();
    }
  });

  it('a kind whose LIST is refused does not hold answers back: they come with its gap', async () => {
    fake = paymentsCluster().fault('/apis/networking.istio.io/v1/serviceentries', {
      status: 403,
      reason: 'Forbidden',
      message: 'serviceentries is forbidden',
    });
    const kubeconfigPath = kubeconfigFile(await fake.start());
    try {
      // A first sync that can never complete; the answer must not wait for it.
      const load = modelSource({ kubeconfigPath }, {}, { syncMs: 60_000, writeMs: 0 });
      const loaded = await load();
      expect(loaded.snapshot.gaps.map((g) => g.source)).toEqual([
        'serviceentries.networking.istio.io list (all namespaces)',
      ]);
      expect(loaded.snapshot.namespaces.map((n) => n.name).sort()).toEqual(['legacy', 'payments']);
    } finally {
      stopLiveModels();
    }
  });

  it('without RBAC for AuthorizationPolicies the model syncs and its gap says authorization was not checked', async () => {
    fake = paymentsCluster().fault('/apis/security.istio.io/v1/authorizationpolicies', {
      status: 403,
      reason: 'Forbidden',
      message: 'authorizationpolicies.security.istio.io is forbidden',
    });
    const server = await fake.start();
    const model = new ClusterModel(
      createKubeApi({ kubeConfig: fake.kubeConfig(server) }),
      new Watch(fake.kubeConfig(server)),
      { backoffMs: { first: 50, max: 100 } },
    );
    model.start();
    try {
      expect(await model.whenSynced(10_000)).toBe(true);
      expect(model.snapshot().gaps).toEqual([
        {
          source: 'authorizationpolicies.security.istio.io list (all namespaces)',
          reason: expect.stringContaining('; AuthorizationPolicies were not checked'),
          optional: true,
        },
      ]);
      expect((await modelReadiness(() => model.status())()).ok).toBe(true);
    } finally {
      model.stop();
    }
  });

  it('an AuthorizationPolicy created in the cluster reaches the model by its watch', async () => {
    const m = await start();
    await until(() => fake.openWatches() === 14, 'fourteen open watches');
    fake.create({
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'require-mtls', namespace: 'payments' },
      spec: { action: 'DENY', rules: [{ from: [{ source: { notPrincipals: ['*'] } }] }] },
    });
    await until(
      () => (m.snapshot().authorizationPolicies ?? []).some((p) => p.meta.name === 'require-mtls'),
      'the policy in the model',
    );
  });

  it('without RBAC for webhook configurations the model syncs, is ready, and its answers are complete', async () => {
    fake = paymentsCluster().fault('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', {
      status: 403,
      reason: 'Forbidden',
      message: 'mutatingwebhookconfigurations is forbidden',
    });
    const server = await fake.start();
    const model = new ClusterModel(
      createKubeApi({ kubeConfig: fake.kubeConfig(server) }),
      new Watch(fake.kubeConfig(server)),
      {
        backoffMs: { first: 50, max: 100 },
      },
    );
    model.start();
    try {
      expect(await model.whenSynced(10_000)).toBe(true);
      const gaps = model.snapshot().gaps;
      expect(gaps).toEqual([
        expect.objectContaining({
          source: 'mutatingwebhookconfigurations.admissionregistration.k8s.io list (all namespaces)',
          optional: true,
        }),
      ]);
      expect((await modelReadiness(() => model.status())()).ok).toBe(true);
    } finally {
      model.stop();
    }
  });
});
