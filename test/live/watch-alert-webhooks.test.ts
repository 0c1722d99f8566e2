// The API server calling an admission webhook is no pair of the matrix, but a change that makes the
// webhook's port STRICT breaks it all the same: the live model alerts on it, says so as the API server's
// call, and counts its repair; a channel that sees the webhook's namespace sees the alert.
import { afterEach, expect, it } from 'vitest';
import { type AlertHarness, watchAlerts } from '../helpers/alert-harness.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { paymentsCluster } from '../helpers/payments-cluster.js';
import { postAlert } from '../helpers/post-alert.js';
import { until } from '../helpers/until.js';

let harness: AlertHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The payments cluster (a STRICT payments Service on port 80, a legacy client without a sidecar), PERMISSIVE, with a webhook on payments. */
function cluster(): FakeKubeApi {
  const fake = paymentsCluster().add(
    webhookConfiguration(
      'ValidatingWebhookConfiguration',
      'payments-policy',
      'validate.payments.example.com',
    ),
  );
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode: 'PERMISSIVE' } };
  });
  return fake;
}

/** A webhook configuration with one webhook the API server calls at payments/payments:80. */
function webhookConfiguration(kind: string, name: string, webhook: string, failurePolicy?: string) {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind,
    metadata: { name },
    webhooks: [
      {
        name: webhook,
        ...(failurePolicy ? { failurePolicy } : {}),
        clientConfig: { service: { namespace: 'payments', name: 'payments', port: 80 } },
      },
    ],
  };
}

/** The same cluster with payments STRICT: its webhook is blocked from the start. */
function strictCluster(): FakeKubeApi {
  const fake = cluster();
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode: 'STRICT' } };
  });
  return fake;
}

it('a policy that makes a webhook port STRICT is an alert, and setting it back repairs it', {
  timeout: 30_000,
}, async () => {
  const fake = cluster();
  harness = await watchAlerts(fake);
  const { evaluated, seen, repairs } = harness;
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode: 'STRICT' } };
  });
  while (evaluated.length < 1) await settle(20);
  expect(seen).toHaveLength(1);
  const alert = seen[0] as NonNullable<(typeof seen)[number]>;
  // The legacy client's call, and the API server's.
  expect(alert.broken).toBe(2);
  expect(alert.sample).toContainEqual({
    from: 'the API server',
    to: 'payments/payments:80',
    symptom:
      'admission webhook validate.payments.example.com reset (every API request it matches is refused)',
    reason: 'admission-webhook-strict',
    fromOutsideMesh: true,
  });
  expect(alert.namespaces).toEqual(['legacy', 'payments']);
  const { posted } = await postAlert(alert);
  expect(JSON.stringify(posted[0]?.blocks)).toContain('`the API server` → `payments/payments:80`');

  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode: 'PERMISSIVE' } };
  });
  while (evaluated.length < 2) await settle(20);
  expect(repairs.map((r) => r.alerts)).toEqual([[alert.id]]);
});

it('a webhook configuration added towards a STRICT port is an alert too; no Revert is offered for it', {
  timeout: 30_000,
}, async () => {
  const fake = strictCluster();
  harness = await watchAlerts(fake);
  const { evaluated, seen } = harness;
  fake.create(
    webhookConfiguration(
      'MutatingWebhookConfiguration',
      'payments-defaults',
      'default.payments.example.com',
      'Ignore',
    ),
  );
  while (evaluated.length < 1) await settle(20);
  expect(seen[0]?.sample.map((p) => p.symptom)).toEqual([
    'admission webhook default.payments.example.com reset (skipped: requests go through unchecked)',
  ]);
  expect(
    seen[0]?.changes.map((c) => `${c.type} ${c.kind} ${c.name} ${c.revert ? 'revert' : 'no revert'}`),
  ).toEqual(['ADDED MutatingWebhookConfiguration payments-defaults no revert']);
});

it('without RBAC for webhook configurations, change alerts still work (an optional gap holds nothing back)', {
  timeout: 30_000,
}, async () => {
  const fake = cluster()
    .fault('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
      status: 403,
      reason: 'Forbidden',
      message: 'forbidden',
    })
    .fault('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', {
      status: 403,
      reason: 'Forbidden',
      message: 'forbidden',
    });
  // The two webhook kinds are refused: eleven watches.
  harness = await watchAlerts(fake, 11);
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode: 'STRICT' } };
  });
  while (harness.evaluated.length < 1) await settle(20);
  expect(harness.seen).toHaveLength(1);
  expect(harness.model.snapshot().gaps.every((g) => g.optional)).toBe(true);
});

const unrelated = (fake: FakeKubeApi, name: string) =>
  fake.create({
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name, namespace: 'legacy' },
    spec: { mtls: { mode: 'PERMISSIVE' } },
  });

it('a webhook blocked all along, first read by a re-LIST with no event, is not blamed on the next change', {
  timeout: 30_000,
}, async () => {
  const fake = strictCluster().fault(
    '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations',
    {
      status: 500,
      reason: 'InternalError',
      message: 'blip',
      times: 1,
      list: true,
    },
  );
  harness = await watchAlerts(fake);
  while (!harness.model.snapshot().admissionWebhooks?.length) await settle(20);
  unrelated(fake, 'unrelated');
  while (harness.evaluated.length < 1) await settle(20);
  expect(harness.seen).toEqual([]);
});

it('a webhook configuration added while the watch version expired alerts after the re-LIST; one unchanged across it is not counted as configured', {
  timeout: 30_000,
}, async () => {
  // payments-policy's webhook is blocked all along: no alert of its own, before or after the re-LIST.
  const fake = strictCluster();
  harness = await watchAlerts(fake);
  const { evaluated, seen } = harness;
  fake.expire(() =>
    fake.create(
      webhookConfiguration(
        'MutatingWebhookConfiguration',
        'payments-defaults',
        'default.payments.example.com',
        'Ignore',
      ),
    ),
  );
  await until(() => evaluated.length >= 1, 'the re-LIST compared', 10_000);
  expect(seen.map((a) => a.changes.map((c) => `${c.type} ${c.kind} ${c.name}`))).toEqual([
    ['ADDED MutatingWebhookConfiguration payments-defaults'],
  ]);
  expect(seen[0]?.sample.map((p) => p.symptom)).toEqual([
    'admission webhook default.payments.example.com reset (skipped: requests go through unchecked)',
  ]);
});

it('a webhook whose pods are away and back is neither repaired nor broken by the changes in between', {
  timeout: 30_000,
}, async () => {
  const fake = strictCluster();
  harness = await watchAlerts(fake);
  const { evaluated, seen, repairs } = harness;
  fake.create(
    webhookConfiguration('MutatingWebhookConfiguration', 'payments-defaults', 'default.payments.example.com'),
  );
  while (evaluated.length < 1) await settle(20);
  expect(seen).toHaveLength(1);
  const pod = structuredClone(fake.find('Pod', 'payments', 'payments-0')) as NonNullable<
    ReturnType<FakeKubeApi['find']>
  >;
  fake.remove('Pod', 'payments', 'payments-0');
  await settle(400);
  unrelated(fake, 'unrelated-1');
  while (evaluated.length < 2) await settle(20);
  const { resourceVersion: _rv, uid: _uid, ...metadata } = pod.metadata as Record<string, unknown>;
  fake.create({ ...pod, metadata } as Parameters<FakeKubeApi['create']>[0]);
  await settle(400);
  unrelated(fake, 'unrelated-2');
  while (evaluated.length < 3) await settle(20);
  expect(repairs).toEqual([]);
  expect(seen).toHaveLength(1);
});
