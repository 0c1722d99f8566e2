// Rolling back a change whose outcome was never recorded (`unknown`, or `applying` left by a crash)
// rests on reading the object. It must not undo a later change that wrote the same thing, nor a write
// still on its way in another process; and a landed change stays recognisable when a controller
// annotates the object afterwards.
import { afterEach, expect, it } from 'vitest';
import { applyPlan } from '../../src/remediation/apply.js';
import type { RemediationPlan } from '../../src/remediation/plans.js';
import { rollbackPlan } from '../../src/remediation/rollback-plan.js';
import { createKubeApi } from '../../src/snapshot/live/kube-api.js';
import { AuditLog } from '../../src/store/audit-store.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { paymentsCluster } from '../helpers/payments-cluster.js';

let fake: FakeKubeApi;
afterEach(() => fake?.stop());

const PERMISSIVE: RemediationPlan = {
  id: 'set-mode-permissive:PeerAuthentication/payments/default',
  title: 'Switch PeerAuthentication payments/default to PERMISSIVE',
  risk: 'r',
  action: 'merge-patch',
  target: {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    namespace: 'payments',
    name: 'default',
  },
  body: { spec: { mtls: { mode: 'PERMISSIVE' } } },
  kubectl: 'k',
};

async function cluster() {
  fake = paymentsCluster();
  const api = createKubeApi({ kubeConfig: fake.kubeConfig(await fake.start()) }).objects;
  return { api, audit: new AuditLog(':memory:') };
}

const setMode = (mode: string) =>
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode } };
  });

const TARGET = PERMISSIVE.target as NonNullable<ReturnType<AuditLog['get']>>['target'];

/**
 * An entry as a write that got no answer, and no read-back, leaves it: its outcome unknown. With
 * `landed`, the change reached the object (as the API server would have carried it out).
 */
function unknownEntry(audit: AuditLog, actor: string, landed: boolean): number {
  const id = audit.begin({
    planId: PERMISSIVE.id,
    target: TARGET,
    actor,
    createdAt: new Date().toISOString(),
    previous: fake.find('PeerAuthentication', 'payments', 'default') as unknown as Record<string, unknown>,
    patch: PERMISSIVE.body,
    action: 'merge-patch',
  });
  if (landed) setMode('PERMISSIVE');
  audit.finish(id, 'unknown');
  return id;
}

it('an unknown change that did not land, then the same change applied: its rollback is refused, not the later one undone', async () => {
  const { api, audit } = await cluster();
  // The first write never landed: no outcome, the policy still STRICT.
  const first = unknownEntry(audit, 'alice', false);
  const second = await applyPlan(api, PERMISSIVE, audit, 'bob');
  await expect(rollbackPlan(api, audit, first)).rejects.toThrow(
    `audit entry ${second.auditId} changed the same object since: what the object holds may be that change`,
  );
  // The later change is still the one to roll back.
  expect(await rollbackPlan(api, audit, second.auditId)).toMatchObject({ action: 'merge-patch' });
});

it('an entry still applying (a write on its way in another process) is refused until it is old enough to be a crash', async () => {
  const { api, audit } = await cluster();
  const id = audit.begin({
    planId: PERMISSIVE.id,
    target: TARGET,
    actor: 'alice',
    createdAt: new Date().toISOString(),
    previous: fake.find('PeerAuthentication', 'payments', 'default') as unknown as Record<string, unknown>,
    patch: { spec: { mtls: { mode: 'PERMISSIVE' } } },
    action: 'merge-patch',
  });
  setMode('PERMISSIVE');
  await expect(rollbackPlan(api, audit, id)).rejects.toThrow(`audit entry ${id} is still being applied`);
  const later = new Date(Date.now() + 6 * 60_000);
  expect(await rollbackPlan(api, audit, id, later)).toMatchObject({ action: 'merge-patch' });
});

it('a landed unknown change is still recognised after a controller annotated the object', async () => {
  const { api, audit } = await cluster();
  const id = unknownEntry(audit, 'alice', true);
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.metadata.annotations = { 'controller.example.com/revision': '4' };
  });
  expect(await rollbackPlan(api, audit, id)).toMatchObject({ action: 'merge-patch' });
});

it("a failed later write, or this entry's own failed rollback, does not block rolling it back", async () => {
  const { api, audit } = await cluster();
  const id = unknownEntry(audit, 'alice', true);
  // A later write that failed changed nothing; nor did a failed attempt at this entry's rollback.
  const refusedId = audit.begin({
    planId: PERMISSIVE.id,
    target: TARGET,
    actor: 'bob',
    createdAt: new Date().toISOString(),
    patch: { spec: { mtls: { mode: 'DISABLE' } } },
    action: 'merge-patch',
  });
  audit.finish(refusedId, 'failed', { error: 'admission webhook denied the request' });
  const attempt = audit.begin({
    planId: `rollback:${id}`,
    target: TARGET,
    actor: 'bob',
    createdAt: new Date().toISOString(),
    patch: { spec: { mtls: { mode: 'STRICT' } } },
    action: 'merge-patch',
  });
  audit.finish(attempt, 'failed', { error: 'the server is currently unable to handle the request' });
  expect(await rollbackPlan(api, audit, id)).toMatchObject({ action: 'merge-patch' });
});

it('an entry that does not record what it wrote (an older log) is not taken as landed', async () => {
  const { api, audit } = await cluster();
  const id = audit.begin({
    planId: 'restart:Deployment/payments/payments',
    target: TARGET,
    actor: 'alice',
    createdAt: new Date(Date.now() - 60 * 60_000).toISOString(),
    previous: fake.find('PeerAuthentication', 'payments', 'default') as unknown as Record<string, unknown>,
  });
  await expect(rollbackPlan(api, audit, id)).rejects.toThrow('does not record what it wrote');
});
