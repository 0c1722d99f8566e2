// `mtls-doctor fix` against a Kubernetes API on loopback: dry run first and a diff, then exactly one
// merge patch with the resourceVersion precondition, an audit entry that survives a restart, clear
// messages for 409 and 403, and a rollback that restores the previous spec.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli.js';
import { AuditLog } from '../../src/store/audit-store.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';
import { runCli } from '../helpers/run-cli.js';

const PLAN = 'set-mode-permissive:PeerAuthentication/payments/default';
let fake: FakeKubeApi;
afterEach(async () => fake?.stop());

async function cluster() {
  fake = paymentsCluster();
  const kubeconfig = kubeconfigFile(await fake.start());
  return { kubeconfig, audit: join(mkdtempSync(join(tmpdir(), 'fix-')), 'audit.db') };
}

/** `mtls-doctor fix ...` against the loopback cluster and the test's audit file. */
const fix = (env: { kubeconfig: string; audit: string }, ...args: string[]) =>
  runCli(['fix', ...args, '--kubeconfig', env.kubeconfig, '--audit', env.audit]);

const mode = () =>
  (fake.find('PeerAuthentication', 'payments', 'default')?.spec as { mtls?: { mode: string } } | undefined)
    ?.mtls?.mode;

describe('mtls-doctor fix', () => {
  it('without --apply: one server-side dry-run merge patch and a diff; nothing changes', async () => {
    const env = await cluster();
    const { code, stdout } = await fix(env, PLAN);
    expect(code).toBe(EXIT.ok);
    expect(fake.writes).toEqual([
      {
        method: 'PATCH',
        path: '/apis/security.istio.io/v1/namespaces/payments/peerauthentications/default',
        dryRun: true,
        contentType: 'application/merge-patch+json',
        body: {
          apiVersion: 'security.istio.io/v1',
          kind: 'PeerAuthentication',
          metadata: { name: 'default', namespace: 'payments', resourceVersion: '7' },
          spec: { mtls: { mode: 'PERMISSIVE' } },
        },
      },
    ]);
    expect(stdout).toContain('-    mode: STRICT');
    expect(stdout).toContain('+    mode: PERMISSIVE');
    expect(stdout).toContain('nothing was changed');
    expect(mode()).toBe('STRICT');
  });

  it('--apply: dry run, then exactly one real patch; audited (surviving a restart); the re-check shows the effect; rollback restores', async () => {
    const env = await cluster();
    const applied = await fix(env, PLAN, '--apply');
    expect(applied.code).toBe(EXIT.ok);
    expect(fake.writes.map((w) => w.dryRun)).toEqual([true, false]);
    expect(fake.writes[1]?.body).toEqual(fake.writes[0]?.body);
    expect(mode()).toBe('PERMISSIVE');
    expect(applied.stdout).toContain('strict-plaintext-clients: 1 finding(s) before, 0 after.');
    const log = new AuditLog(env.audit);
    expect(log.get(1)).toMatchObject({
      planId: PLAN,
      state: 'applied',
      previous: { spec: { mtls: { mode: 'STRICT' } } },
    });
    log.close();

    const back = await fix(env, '--rollback', '1');
    expect(back.code).toBe(EXIT.ok);
    expect(mode()).toBe('STRICT');
    const after = new AuditLog(env.audit);
    expect(after.get(1)?.state).toBe('rolled-back');
    expect(after.get(2)).toMatchObject({ planId: 'rollback:1', state: 'applied' });
    after.close();
  });

  it('a conflict (the object changed since it was read) is refused with a clear message and audited as failed', async () => {
    const env = await cluster();
    fake.fault('/apis/security.istio.io/v1/namespaces/payments/peerauthentications/default', {
      method: 'PATCH',
      skip: 1,
      status: 409,
      reason: 'Conflict',
      message: 'the object has been modified',
    });
    const { code, stderr } = await fix(env, PLAN, '--apply');
    expect(code).toBe(EXIT.incomplete);
    expect(stderr).toContain('it changed since it was read');
    expect(mode()).toBe('STRICT');
    const log = new AuditLog(env.audit);
    expect(log.get(1)?.state).toBe('failed');
    log.close();
  });

  it('a 403 on the patch says which RBAC is missing and records nothing as applied', async () => {
    const env = await cluster();
    fake.fault('/apis/security.istio.io/v1/namespaces/payments/peerauthentications/default', {
      method: 'PATCH',
      status: 403,
      reason: 'Forbidden',
      message: 'cannot patch resource "peerauthentications"',
    });
    const { code, stderr } = await fix(env, PLAN, '--apply');
    expect(code).toBe(EXIT.incomplete);
    expect(stderr).toContain('forbidden');
    expect(stderr).toContain('needs RBAC to patch');
    const log = new AuditLog(env.audit);
    expect(log.get(1)).toBeUndefined();
    log.close();
  });

  it('an unknown plan id lists the plans the diagnosis offers', async () => {
    const env = await cluster();
    const { code, stderr } = await fix(env, 'set-mode-permissive:PeerAuthentication/nope/default');
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain('plans now: ');
    expect(stderr).toContain(PLAN);
  });
});

describe('plans that are run by hand', () => {
  it('restarting istiod and then the workloads is not applied half-way: the commands are shown instead', async () => {
    const env = await cluster();
    const { code, stderr } = await fix(
      env,
      'restart-istiod:Deployment/istio-system/istiod:payments',
      '--apply',
    );
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain('is run by hand');
    expect(stderr).toContain('kubectl rollout restart deployment istiod -n istio-system');
    expect(fake.writes).toEqual([]);
  });
});
