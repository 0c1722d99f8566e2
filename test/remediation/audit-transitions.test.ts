// An audit entry's outcome, once recorded, is kept: `finish` moves an entry out of `applying`, out of
// `unknown` into a settled state, and an applied one to `rolled-back`, never back; a second outcome
// leaves the entry as it is and says so, and applyPlan reports that instead of overwriting it.
import { afterEach, expect, it } from 'vitest';
import { applyPlan } from '../../src/remediation/apply.js';
import type { RemediationPlan } from '../../src/remediation/plans.js';
import { createKubeApi } from '../../src/snapshot/live/kube-api.js';
import { AuditLog } from '../../src/store/audit-store.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { paymentsCluster } from '../helpers/payments-cluster.js';
import { until } from '../helpers/until.js';

let fake: FakeKubeApi | undefined;
afterEach(() => fake?.stop());

const TARGET = {
  apiVersion: 'security.istio.io/v1',
  kind: 'PeerAuthentication',
  namespace: 'payments',
  name: 'default',
};

const begin = (audit: AuditLog) =>
  audit.begin({ planId: 'p', target: TARGET, actor: 'alice', createdAt: new Date().toISOString() });

it('a finished entry is not overwritten: a second outcome returns false and leaves it as it was', () => {
  const audit = new AuditLog(':memory:');
  const id = begin(audit);
  expect(audit.finish(id, 'applied', { resultVersion: '8' })).toBe(true);
  expect(audit.finish(id, 'failed', { error: 'late' })).toBe(false);
  expect(audit.finish(id, 'unknown')).toBe(false);
  expect(audit.finish(id, 'applied', { resultVersion: '9' })).toBe(false);
  expect(audit.get(id)).toMatchObject({ state: 'applied', resultVersion: '8' });
  expect(audit.get(id)?.error).toBeUndefined();
  // Its rollback moves it on, once.
  expect(audit.finish(id, 'rolled-back', { resultVersion: '8' })).toBe(true);
  expect(audit.finish(id, 'unknown')).toBe(false);
  expect(audit.finish(id, 'rolled-back')).toBe(false);
  expect(audit.get(id)?.state).toBe('rolled-back');

  const failed = begin(audit);
  expect(audit.finish(failed, 'failed', { error: 'refused' })).toBe(true);
  expect(audit.finish(failed, 'applied', { resultVersion: '9' })).toBe(false);
  expect(audit.finish(failed, 'rolled-back')).toBe(false);
  expect(audit.get(failed)).toMatchObject({ state: 'failed', error: 'refused' });
  expect(audit.finish(999, 'applied')).toBe(false);
});

it('an unknown outcome may be settled once, and is then kept', () => {
  const audit = new AuditLog(':memory:');
  const id = begin(audit);
  expect(audit.finish(id, 'unknown', { error: 'timeout' })).toBe(true);
  expect(audit.finish(id, 'unknown', { error: 'again' })).toBe(false);
  expect(audit.finish(id, 'failed', { error: 'read back: unchanged' })).toBe(true);
  expect(audit.finish(id, 'applied', { resultVersion: '9' })).toBe(false);
  expect(audit.get(id)).toMatchObject({ state: 'failed', error: 'read back: unchanged' });
});

it('an outcome recorded by someone else while the write was on its way is kept, and applyPlan says so', async () => {
  fake = paymentsCluster();
  let answer: () => void = () => {};
  fake.fault('/apis/security.istio.io/v1/namespaces/payments/peerauthentications/default', {
    method: 'PATCH',
    skip: 1,
    times: 1,
    answerUntil: new Promise<void>((r) => (answer = r)),
  });
  const api = createKubeApi({ kubeConfig: fake.kubeConfig(await fake.start()) }).objects;
  const audit = new AuditLog(':memory:');
  const plan: RemediationPlan = {
    id: 'set-mode-permissive:PeerAuthentication/payments/default',
    title: 't',
    risk: 'r',
    action: 'merge-patch',
    target: TARGET,
    body: { spec: { mtls: { mode: 'PERMISSIVE' } } },
    kubectl: 'k',
  };
  const applying = applyPlan(api, plan, audit, 'alice');
  await until(() => fake?.writes.filter((w) => !w.dryRun).length === 1, 'the change was never sent', 5000);
  audit.finish(1, 'failed', { error: 'recorded elsewhere' });
  answer();
  const applied = await applying;
  expect(applied.auditProblem).toBe('audit entry 1 already says failed, which is kept (not applied)');
  expect(audit.get(1)).toMatchObject({ state: 'failed', error: 'recorded elsewhere' });
});
