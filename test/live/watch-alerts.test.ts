// Change alerts from the live model: a change that turns ok pairs into failures makes one alert per
// burst (the object, its diff, who changed it, the broken pairs); a harmless change makes none.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BreakingChange, Repair } from '../../src/snapshot/live/watch-alerts.js';
import { type AlertHarness, watchAlerts } from '../helpers/alert-harness.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { paymentsCluster } from '../helpers/payments-cluster.js';
import { until as poll } from '../helpers/until.js';

let fake: FakeKubeApi;
let harness: AlertHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

let evaluated: (BreakingChange | undefined)[] = [];
let repairs: Repair[] = [];

async function start(): Promise<BreakingChange[]> {
  fake = paymentsCluster();
  // Start PERMISSIVE: the legacy (sidecar-less) client can call payments.
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode: 'PERMISSIVE' } };
  });
  harness = await watchAlerts(fake);
  ({ evaluated, repairs } = harness);
  return harness.seen;
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = (condition: () => boolean, what: string) =>
  poll(condition, `timed out waiting for ${what}`, 10_000);

// A pod of Deployment `app` (ReplicaSet `<app>-<hash>`), in payments unless said, with or without the sidecar.
const rsPod = (
  app: string,
  hash: string,
  n: number,
  sidecar: boolean,
  where: { namespace?: string; labels?: Record<string, string> } = {},
) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: `${app}-${hash}-${n}`,
    namespace: where.namespace ?? 'payments',
    labels: where.labels ?? { app, 'pod-template-hash': hash },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-${hash}`, uid: hash }],
  },
  spec: { containers: [{ name: 'app' }, ...(sidecar ? [{ name: 'istio-proxy' }] : [])] },
  status: { phase: 'Running' },
});

/** A change elsewhere that breaks nothing but is compared (the baseline moves on). */
const unrelatedChange = () =>
  fake.create({
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name: 'default', namespace: 'legacy' },
    spec: { mtls: { mode: 'PERMISSIVE' } },
  });

/** Clients (with sidecars) send Istio mTLS to payments, whatever its pods have. */
const mutualTlsToPayments = () =>
  fake.create({
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'payments', namespace: 'payments' },
    spec: { host: 'payments', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } },
  });

const changesOf = (alert: BreakingChange): string[] =>
  alert.changes.map((c) => `${c.type} ${c.kind} ${c.namespace}/${c.name}`);

const strict = () =>
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode: 'STRICT' } };
  });

describe('change alerts', { timeout: 20_000 }, () => {
  it('STRICT with a plaintext client: one alert for the burst, naming the policy, its diff, the manager and the client', async () => {
    const seen = await start();
    // A burst: two edits of the same policy within the debounce.
    fake.update('PeerAuthentication', 'payments', 'default', (o) => {
      o.spec = { mtls: { mode: 'STRICT' } };
      o.metadata.managedFields = [
        { manager: 'kubectl-edit', operation: 'Update', time: '2026-11-29T10:00:00Z' },
      ];
    });
    fake.update('PeerAuthentication', 'payments', 'default', (o) => {
      o.metadata.labels = { team: 'payments' };
    });
    while (evaluated.length === 0) await settle(20);
    expect(evaluated).toHaveLength(1);
    expect(seen).toHaveLength(1);
    const [alert] = seen as [BreakingChange];
    expect(alert.changes).toHaveLength(1);
    expect(alert.changes[0]).toMatchObject({
      kind: 'PeerAuthentication',
      namespace: 'payments',
      name: 'default',
      type: 'MODIFIED',
      manager: 'kubectl-edit',
      changedAt: '2026-11-29T10:00:00Z',
    });
    expect(alert.changes[0]?.diff).toContain('-  mode: PERMISSIVE');
    expect(alert.changes[0]?.diff).toContain('+  mode: STRICT');
    // Undone by a merge patch back to the old mode (the labels are no part of it).
    expect(alert.changes[0]?.revert).toEqual({
      apiVersion: 'security.istio.io/v1',
      action: 'merge-patch',
      body: { spec: { mtls: { mode: 'PERMISSIVE' } } },
    });
    expect(alert.broken).toBeGreaterThan(0);
    expect(alert.sample.map((p) => p.from)).toContain('legacy/cron-0');
    expect(alert.sample.every((p) => p.to.startsWith('payments/payments'))).toBe(true);
    expect(alert.namespaces).toEqual(['legacy', 'payments']);

    // Back to PERMISSIVE: the alert's pairs work again, and the repair names the change.
    fake.update('PeerAuthentication', 'payments', 'default', (o) => {
      o.spec = { mtls: { mode: 'PERMISSIVE' } };
    });
    while (evaluated.length < 2) await settle(20);
    expect(evaluated[1]).toBeUndefined();
    expect(repairs).toHaveLength(1);
    expect(repairs[0]?.alerts).toEqual([alert.id]);
    expect(repairs[0]?.changes.map((c) => `${c.type} ${c.kind} ${c.namespace}/${c.name}`)).toEqual([
      'MODIFIED PeerAuthentication payments/default',
    ]);
  });

  it('an added policy is reverted by a delete bound to the version the alert saw; an object that came and went in the burst is no change', async () => {
    const seen = await start();
    fake.create({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'tmp', namespace: 'payments' },
      spec: { host: 'payments', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } },
    });
    fake.remove('DestinationRule', 'payments', 'tmp');
    const lock = fake.create({
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'lock', namespace: 'payments' },
      spec: { selector: { matchLabels: { app: 'payments' } }, mtls: { mode: 'STRICT' } },
    });
    while (evaluated.length === 0) await settle(20);
    expect(evaluated).toHaveLength(1);
    const [alert] = seen as [BreakingChange];
    expect(changesOf(alert)).toEqual(['ADDED PeerAuthentication payments/lock']);
    expect(alert.changes[0]).toMatchObject({
      resourceVersion: lock.metadata.resourceVersion,
      revert: { apiVersion: 'security.istio.io/v1', action: 'delete' },
    });
  });

  it('a rollout whose new pods have no sidecar alerts at its first such pod, and its undoing repairs it; pods of agreeing workloads are not compared', async () => {
    const seen = await start();
    fake.create(rsPod('worker', 'aaa', 1, true));
    fake.update('PeerAuthentication', 'payments', 'default', (o) => {
      o.spec = { mtls: { mode: 'STRICT' } };
    });
    while (evaluated.length < 1) await settle(20);

    // The new ReplicaSet's template lost the sidecar: its first pod makes the workload's pods disagree.
    fake.create(rsPod('worker', 'bbb', 1, false));
    while (evaluated.length < 2) await settle(20);
    const alert = seen.at(-1) as BreakingChange;
    expect(changesOf(alert)).toEqual(['ADDED Pod payments/worker-bbb-1']);
    expect(alert.changes[0]?.diff).toContain('+istioProxyContainer: false');
    expect(alert.changes[0]?.revert).toBeUndefined();
    expect(alert.sample).toContainEqual(
      expect.objectContaining({
        from: 'payments/worker',
        to: 'payments/payments:80',
        reason: 'strict-plaintext-clients',
      }),
    );

    // Pods that agree with their siblings (a scale-up of another workload) are not compared at all.
    fake.create(rsPod('batch', 'ccc', 1, true));
    fake.create(rsPod('batch', 'ccc', 2, true));
    await settle(600);
    expect(evaluated).toHaveLength(2);

    // Rolled back: a pod with the sidecar again, the one without gone. The alert is repaired.
    fake.create(rsPod('worker', 'aaa', 2, true));
    fake.remove('Pod', 'payments', 'worker-bbb-1');
    while (repairs.length === 0) await settle(20);
    expect(repairs[0]?.alerts).toEqual([alert.id]);
    expect(repairs[0]?.changes.map((c) => `${c.type} ${c.kind} ${c.namespace}/${c.name}`)).toContain(
      'DELETED Pod payments/worker-bbb-1',
    );
  });

  it('one pod replaced at a time (a StatefulSet): a replacement without the sidecar alerts, though the old pod went in an earlier burst', async () => {
    const seen = await start();
    const solo = (sidecar: boolean) => ({
      ...rsPod('solo', 'x', 0, sidecar),
      metadata: {
        name: 'solo-0',
        namespace: 'payments',
        labels: { app: 'solo' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'solo', uid: 's' }],
      },
    });
    fake.create(solo(true));
    strict();
    while (evaluated.length < 1) await settle(20);
    fake.remove('Pod', 'payments', 'solo-0');
    await settle(600);
    // The old pod agreed with its workload: its going alone is not compared.
    expect(evaluated).toHaveLength(1);
    // Another change is compared while the workload has no pod at all: it is still remembered.
    unrelatedChange();
    while (evaluated.length < 2) await settle(20);
    fake.create(solo(false));
    while (evaluated.length < 3) await settle(20);
    const alert = seen.at(-1) as BreakingChange;
    expect(changesOf(alert)).toEqual(['ADDED Pod payments/solo-0']);
    expect(alert.sample).toContainEqual(
      expect.objectContaining({ from: 'payments/solo', to: 'payments/payments:80' }),
    );
  });

  it('a canary without the sidecar behind a service its clients reach with ISTIO_MUTUAL alerts, though its workload is new', async () => {
    const seen = await start();
    mutualTlsToPayments();
    while (evaluated.length < 1) await settle(20);
    fake.create(
      rsPod('canary', 'zzz', 1, false, { labels: { app: 'payments', 'pod-template-hash': 'zzz' } }),
    );
    while (evaluated.length < 2) await settle(20);
    const alert = seen.at(-1) as BreakingChange;
    expect(changesOf(alert)).toEqual(['ADDED Pod payments/canary-zzz-1']);
    expect(alert.sample).toContainEqual(
      expect.objectContaining({ from: 'payments/payments-0', to: 'payments/payments:80' }),
    );
  });

  it("a CronJob's pod named like a Deployment neither hides the Deployment's break nor its repair", async () => {
    const seen = await start();
    fake.create(rsPod('web', 'h', 0, false, { namespace: 'legacy' }));
    unrelatedChange();
    while (evaluated.length < 1) await settle(20);
    // A Job pod of CronJob `web` (no Service selects it: not compared itself) runs as STRICT lands.
    fake.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web-29000001-x',
        namespace: 'legacy',
        labels: { 'batch.kubernetes.io/cronjob-name': 'web' },
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'web-29000001', uid: 'j' }],
      },
      spec: { containers: [{ name: 'job' }] },
      status: { phase: 'Running' },
    });
    strict();
    while (evaluated.length < 2) await settle(20);
    const alert = seen.at(-1) as BreakingChange;
    // Named with its kind now that a CronJob shares the name; the CronJob's own calls are new, not broken.
    expect(alert.sample.map((p) => p.from)).toContain('legacy/web (Deployment)');
    expect(alert.sample.map((p) => p.from)).not.toContain('legacy/web (CronJob)');
    fake.update('PeerAuthentication', 'payments', 'default', (o) => {
      o.spec = { mtls: { mode: 'PERMISSIVE' } };
    });
    while (repairs.length === 0) await settle(20);
    expect(repairs[0]?.alerts).toEqual([alert.id]);
  });

  it('a server back without its sidecar after a time without pods alerts, though another change was compared in between', async () => {
    const seen = await start();
    fake.create(rsPod('web', 'h', 0, true));
    mutualTlsToPayments();
    while (evaluated.length < 1) await settle(20);
    const payments = fake.find('Pod', 'payments', 'payments-0');
    fake.remove('Pod', 'payments', 'payments-0');
    unrelatedChange();
    while (evaluated.length < 2) await settle(20);
    fake.create({
      ...(payments as NonNullable<typeof payments>),
      metadata: { name: 'payments-0', namespace: 'payments', labels: { app: 'payments' } },
      spec: { containers: [{ name: 'app', ports: [{ containerPort: 8080 }] }] },
    });
    // A client new in the same burst: its calls are new, not broken.
    fake.create(rsPod('newc', 'n', 0, true));
    while (evaluated.length < 3) await settle(20);
    const alert = seen.at(-1) as BreakingChange;
    expect(changesOf(alert)).toEqual(['ADDED Pod payments/payments-0']);
    expect(alert.sample).toContainEqual(
      expect.objectContaining({
        from: 'payments/web',
        to: 'payments/payments:80',
        reason: 'destinationrule-tls-conflict',
      }),
    );
    expect(alert.sample.map((p) => p.from)).not.toContain('payments/newc');
  });

  it('pods that come and go do not hold back the alert of a breaking change; a burst that never goes quiet is compared within six quiet periods', async () => {
    await start();
    fake.create(rsPod('worker', 'aaa', 0, true));
    strict();
    let created = 0;
    // New pods every 100 ms (the debounce is 200 ms): not compared, so they do not extend the burst.
    while (evaluated.length < 1 && created < 40) {
      fake.create(rsPod('batch', 'ccc', created++, true));
      await settle(100);
    }
    expect(created).toBeLessThan(6);
    // A rollout that takes the sidecar away, pod after pod: each counts and extends the burst, but
    // not past six debounces (1.2 s here, about 12 pods).
    let rolled = 0;
    while (evaluated.length < 2 && rolled < 40) {
      fake.create(rsPod('worker', 'bbb', rolled++, false));
      await settle(100);
    }
    expect(rolled).toBeLessThan(20);
  });

  it('a Sidecar that hides the service from its clients (REGISTRY_ONLY) alerts like a policy does', async () => {
    const seen = await start();
    fake.create({
      apiVersion: 'networking.istio.io/v1',
      kind: 'Sidecar',
      metadata: { name: 'default', namespace: 'payments' },
      spec: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' }, egress: [{ hosts: ['istio-system/*'] }] },
    });
    while (evaluated.length === 0) await settle(20);
    expect(seen).toHaveLength(1);
    const [alert] = seen as [BreakingChange];
    expect(changesOf(alert)).toEqual(['ADDED Sidecar payments/default']);
    // Only PeerAuthentications and DestinationRules, the kinds the bot may delete, get a delete Revert.
    expect(alert.changes[0]?.revert).toBeUndefined();
    expect(alert.sample).toContainEqual(
      expect.objectContaining({ from: 'payments/payments-0', reason: 'service-not-visible-blackhole' }),
    );
  });

  it('a VirtualService that routes calls to a subset without mTLS alerts; the subset alone did not', async () => {
    const seen = await start();
    fake.update('PeerAuthentication', 'payments', 'default', (o) => {
      o.spec = { mtls: { mode: 'STRICT' } };
    });
    fake.create({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'payments', namespace: 'payments' },
      spec: {
        host: 'payments',
        subsets: [{ name: 'plain', labels: {}, trafficPolicy: { tls: { mode: 'DISABLE' } } }],
      },
    });
    while (evaluated.length === 0) await settle(20);
    // STRICT broke the legacy client; the subset, which nothing routes to yet, broke no call of payments-0.
    expect(seen.flatMap((a) => a.sample).some((p) => p.from === 'payments/payments-0')).toBe(false);
    const first = seen.length;
    fake.create({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'payments', namespace: 'payments' },
      spec: {
        hosts: ['payments'],
        http: [{ route: [{ destination: { host: 'payments', subset: 'plain' } }] }],
      },
    });
    while (evaluated.length < 2) await settle(20);
    expect(seen).toHaveLength(first + 1);
    const alert = seen.at(-1) as BreakingChange;
    expect(changesOf(alert)).toEqual(['ADDED VirtualService payments/payments']);
    expect(alert.sample).toContainEqual(
      expect.objectContaining({ from: 'payments/payments-0', reason: 'destinationrule-tls-conflict' }),
    );
  });

  it('a change the watch missed (410 Gone, re-LIST) alerts as itself, with its author; the next harmless change is not blamed for it', async () => {
    const seen = await start();
    fake.expire(() =>
      fake.update('PeerAuthentication', 'payments', 'default', (o) => {
        o.spec = { mtls: { mode: 'STRICT' } };
        o.metadata.managedFields = [
          { manager: 'kubectl-edit', operation: 'Update', time: '2026-11-29T10:00:00Z' },
        ];
      }),
    );
    await until(() => evaluated.length === 1, 'the re-LIST compared');
    expect(seen).toHaveLength(1);
    const [alert] = seen as [BreakingChange];
    expect(changesOf(alert)).toEqual(['MODIFIED PeerAuthentication payments/default']);
    expect(alert.changes[0]).toMatchObject({ manager: 'kubectl-edit', changedAt: '2026-11-29T10:00:00Z' });
    expect(alert.changes[0]?.revert?.body).toEqual({ spec: { mtls: { mode: 'PERMISSIVE' } } });
    expect(alert.sample.map((p) => p.from)).toContain('legacy/cron-0');
    // An ISTIO_MUTUAL rule for payments, harmless on its own: compared against the STRICT view, no alert.
    mutualTlsToPayments();
    await until(() => evaluated.length === 2, 'the rule compared');
    expect(evaluated[1]).toBeUndefined();
    expect(seen).toHaveLength(1);
  });

  it('a burst made while another watch is down waits, with its baseline, and is compared once the watch is back', async () => {
    const seen = await start();
    const model = harness?.model as AlertHarness['model'];
    // The pods watch is refused from now on (an RBAC change, API server trouble), and the streams end.
    fake.fault('/api/v1/pods', {
      status: 403,
      reason: 'Forbidden',
      message: 'pods is forbidden',
      watch: true,
    });
    fake.closeWatches();
    await until(() => model.snapshot().gaps.length > 0, 'the pods watch down');
    strict();
    // Five quiet periods: it would have been compared by now, with the pods' view stale.
    await settle(1_000);
    expect(evaluated).toEqual([]);
    // A long outage's steady changes: held, folded one per object.
    for (let i = 0; i < 1_100; i++)
      fake.update('PeerAuthentication', 'payments', 'default', (o) => {
        o.spec = { mtls: { mode: i % 2 === 0 ? 'PERMISSIVE' : 'STRICT' } };
      });
    await settle(400);
    expect(evaluated).toEqual([]);
    fake.fault('/api/v1/pods', { watch: true, times: 0 });
    await until(() => evaluated.length === 1, 'the held burst compared');
    expect(seen).toHaveLength(1);
    const [alert] = seen as [BreakingChange];
    expect(changesOf(alert)).toEqual(['MODIFIED PeerAuthentication payments/default']);
    expect(alert.changes[0]?.diff).toContain('-  mode: PERMISSIVE');
    expect(alert.changes[0]?.diff).toContain('+  mode: STRICT');
    expect(alert.sample.map((p) => p.from)).toContain('legacy/cron-0');
  });

  it('a burst of many changes builds the snapshot once, when it is compared, not once per event', async () => {
    const seen = await start();
    const snapshots = vi.spyOn(harness?.model as AlertHarness['model'], 'snapshot');
    // Each event makes the model's snapshot stale; scoping a rule reads its host's ServiceEntries, a
    // policy the root namespace: from the views compared, not from a snapshot rebuilt per event.
    for (let i = 0; i < 30; i++)
      fake.create({
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: `payments-${i}`, namespace: 'payments' },
        spec: { host: 'payments', trafficPolicy: { connectionPool: { tcp: { maxConnections: 100 + i } } } },
      });
    strict();
    await until(() => evaluated.length === 1, 'the burst compared');
    expect(snapshots).toHaveBeenCalledTimes(1);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.changes).toHaveLength(31);
  });

  it('a change that breaks nothing makes no alert', async () => {
    const seen = await start();
    const before = fake.requests.length;
    // A DestinationRule asking for what auto mTLS already does, and a label no one reads.
    mutualTlsToPayments();
    fake.update('Namespace', undefined, 'legacy', (o) => {
      o.metadata.labels = { owner: 'ops' };
    });
    // The label change is not even compared; the DestinationRule's burst is, and breaks nothing.
    while (evaluated.length === 0) await settle(20);
    expect(evaluated).toEqual([undefined]);
    expect(seen).toEqual([]);
    expect(fake.requests.length).toBe(before);
  });
});
