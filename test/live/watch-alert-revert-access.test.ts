// The remediate ClusterRole is bound per namespace (the example overlay binds `shop` only) and a
// read-only install has none: a change alert asks the API server (SelfSubjectAccessReview) before it
// offers a Revert. Not allowed, or no answer: no button, the kubectl command and why instead.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createKubeApi } from '../../src/snapshot/live/kube-api.js';
import { accessReviewer, revertAccess } from '../../src/snapshot/live/revert-access.js';
import type { BreakingChange, ChangedObject } from '../../src/snapshot/live/watch-alerts.js';
import { type AlertHarness, watchAlerts } from '../helpers/alert-harness.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { paymentsCluster } from '../helpers/payments-cluster.js';
import { type PostedMessage, postAlert } from '../helpers/post-alert.js';
import { until } from '../helpers/until.js';

let fake: FakeKubeApi;
let harness: AlertHarness;
let alert: BreakingChange;

beforeAll(async () => {
  fake = paymentsCluster();
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode: 'PERMISSIVE' } };
  });
  harness = await watchAlerts(fake);
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode: 'STRICT' } };
  });
  await until(() => harness.seen.length > 0, 'the alert', 10_000);
  alert = harness.seen[0] as BreakingChange;
}, 30_000);
afterAll(() => harness?.stop());

const reviewer = () => revertAccess(accessReviewer(createKubeApi({ kubeConfig: harness.config }).objects));
const buttons = (posted: PostedMessage[]) =>
  posted[0]?.blocks.flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : [])).map((b) => b.text.text);
const text = (posted: PostedMessage[]) => JSON.stringify(posted[0]?.blocks);

it('a namespace the remediate role is bound in gets the Revert button, after one review', async () => {
  fake.accessAllowed = ['* * payments'];
  const from = fake.accessReviews.length;
  const { posted } = await postAlert(alert, undefined, reviewer());
  expect(buttons(posted)).toEqual(['Revert PeerAuthentication payments/default']);
  expect(fake.accessReviews.slice(from)).toEqual([
    {
      verb: 'patch',
      group: 'security.istio.io',
      resource: 'peerauthentications',
      namespace: 'payments',
      name: 'default',
    },
  ]);
});

it('a namespace it is not bound in: no button, the kubectl command and the reason', async () => {
  fake.accessAllowed = ['* * shop'];
  const { posted } = await postAlert(alert, undefined, reviewer());
  expect(buttons(posted)).toEqual([]);
  expect(text(posted)).toContain('*Undo by hand*');
  expect(text(posted)).toContain('the bot may not patch peerauthentications in payments');
  expect(text(posted)).toContain('kubectl patch peerauthentication default -n payments');
});

it('a review that fails: no button, the command, the alert still posted', async () => {
  fake.accessAllowed = undefined;
  fake.fault('/apis/authorization.k8s.io', { status: 500, method: 'POST', times: 1 });
  const { posted } = await postAlert(alert, undefined, reviewer());
  expect(posted).toHaveLength(1);
  expect(buttons(posted)).toEqual([]);
  expect(text(posted)).toContain('could not check whether the bot may patch peerauthentications in payments');
  expect(text(posted)).toContain('kubectl patch peerauthentication default -n payments');
});

const policy = (namespace: string, name: string): ChangedObject => ({
  kind: 'PeerAuthentication',
  namespace,
  name,
  type: 'MODIFIED',
  diff: '',
  resourceVersion: '7',
  revert: { apiVersion: 'security.istio.io/v1', action: 'merge-patch', body: { spec: { mtls: null } } },
});

it('one review per verb, resource and namespace of a burst, kept a few minutes', async () => {
  fake.accessAllowed = ['* * payments', '* * shop'];
  let clock = 0;
  const mayRevert = revertAccess(accessReviewer(createKubeApi({ kubeConfig: harness.config }).objects), {
    now: () => clock,
  });
  const burst: BreakingChange = {
    id: 99,
    changes: [policy('payments', 'default'), policy('payments', 'web'), policy('shop', 'default')],
    broken: 1,
    sample: [],
    namespaces: ['payments', 'shop'],
  };
  const from = fake.accessReviews.length;
  const { posted } = await postAlert(burst, undefined, mayRevert);
  expect(buttons(posted)).toHaveLength(3);
  const asked = () => fake.accessReviews.slice(from).map((r) => r.namespace);
  expect(asked().sort()).toEqual(['payments', 'shop']);
  clock += 60_000;
  await postAlert(burst, undefined, mayRevert);
  expect(asked()).toHaveLength(2);
  // Past the cache: RBAC is asked again (a RoleBinding removed since shows).
  clock += 5 * 60_000;
  fake.accessAllowed = ['* * shop'];
  const later = await postAlert(burst, undefined, mayRevert);
  expect(asked()).toHaveLength(4);
  expect(buttons(later.posted)).toEqual(['Revert PeerAuthentication shop/default']);
});

it('a Namespace is reviewed inside itself, as the API server authorizes a request on it', async () => {
  fake.accessAllowed = ['patch namespaces payments'];
  const from = fake.accessReviews.length;
  const mayRevert = reviewer();
  const labels = (name: string): ChangedObject => ({
    kind: 'Namespace',
    name,
    type: 'MODIFIED',
    diff: '',
    revert: { apiVersion: 'v1', action: 'merge-patch', body: { metadata: { labels: {} } } },
  });
  expect(await mayRevert(labels('payments'))).toEqual({ allowed: true });
  expect(await mayRevert(labels('legacy'))).toMatchObject({
    allowed: false,
    reason: 'the bot may not patch namespaces in legacy',
  });
  expect(fake.accessReviews.slice(from).map((r) => [r.resource, r.namespace, r.name])).toEqual([
    ['namespaces', 'payments', 'payments'],
    ['namespaces', 'legacy', 'legacy'],
  ]);
});
