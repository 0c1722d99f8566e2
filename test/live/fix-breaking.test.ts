// `mtls-doctor fix --apply` of a change that breaks calls, against a Kubernetes API on loopback: the
// impact the dry run shows is computed before anything is written, and the change is refused unless
// the user accepts the breakage by name (--accept-breaking).
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../commands/main.js';
import { AuditLog } from '../../src/store/audit-store.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';
import { runCli } from '../helpers/run-cli.js';
import { until } from '../helpers/until.js';

// STRICT for payments, whose caller legacy/cron-0 has no sidecar: that call breaks.
const STRICT = 'create-strict:PeerAuthentication/payments/default';
const WARNING = 'WARNING: this change breaks 1 call.\n';
const BROKEN = 'breaks 1 (legacy/cron-0 → payments/payments:80)';
let fake: FakeKubeApi;
afterEach(async () => fake?.stop());

/** The payments cluster without its PeerAuthentication: payments accepts plaintext, every call works. */
async function permissiveCluster() {
  fake = paymentsCluster();
  fake.remove('PeerAuthentication', 'payments', 'default');
  const kubeconfig = kubeconfigFile(await fake.start());
  return { kubeconfig, audit: join(mkdtempSync(join(tmpdir(), 'fix-breaking-')), 'audit.db') };
}

const fix = (env: { kubeconfig: string; audit: string }, ...args: string[]) =>
  runCli(['fix', ...args, '--kubeconfig', env.kubeconfig, '--audit', env.audit]);

const policy = () => fake.find('PeerAuthentication', 'payments', 'default');

describe('fix --apply of a change that breaks calls', () => {
  it('is refused with the dry run’s warning (exit 2): nothing is written, no audit entry', async () => {
    const env = await permissiveCluster();
    const dry = await fix(env, STRICT);
    expect(dry.code).toBe(EXIT.ok);
    expect(dry.stdout).toContain(WARNING);
    expect(dry.stdout).toContain(BROKEN);
    expect(dry.stdout).toContain('Apply with --apply --accept-breaking.');

    const { code, stdout, stderr } = await fix(env, STRICT, '--apply');
    expect(code).toBe(EXIT.usage);
    expect(stdout).toContain(WARNING);
    expect(stdout).toContain(BROKEN);
    expect(stdout).not.toContain('Applied');
    expect(stderr).toMatch(/refused: this change breaks 1 call; nothing was changed.*--accept-breaking/);
    expect(fake.writes.filter((w) => !w.dryRun)).toEqual([]);
    expect(policy()).toBeUndefined();
    expect(existsSync(env.audit)).toBe(false);
  });

  it('a cluster read in part: the impact is unknown, so --apply is refused too', async () => {
    const env = await permissiveCluster();
    fake.fault('/apis/networking.istio.io/v1/serviceentries', {
      status: 403,
      reason: 'Forbidden',
      message: 'no',
    });
    const { code, stdout, stderr } = await fix(env, STRICT, '--apply');
    expect(code).toBe(EXIT.usage);
    expect(stdout).toContain('WARNING: what this change breaks is unknown');
    expect(stderr).toMatch(/refused: its impact on calls could not be computed; nothing was changed/);
    expect(fake.writes.filter((w) => !w.dryRun)).toEqual([]);
    expect(policy()).toBeUndefined();
  });

  it('--accept-breaking applies it, after the same warning, bound to the object the impact was computed for', async () => {
    const env = await permissiveCluster();
    const { code, stdout } = await fix(env, STRICT, '--apply', '--accept-breaking');
    expect(stdout).toContain(WARNING);
    expect(stdout.indexOf(WARNING)).toBeLessThan(stdout.indexOf('Applied (audit entry 1).'));
    expect(code).not.toBe(EXIT.usage);
    expect(code).not.toBe(EXIT.incomplete);
    expect(policy()?.spec).toEqual({ mtls: { mode: 'STRICT' } });
    const log = new AuditLog(env.audit);
    expect(log.get(1)?.state).toBe('applied');
    log.close();
  });

  it('a change that breaks nothing applies without the flag, and says what it does first', async () => {
    fake = paymentsCluster();
    const env = {
      kubeconfig: kubeconfigFile(await fake.start()),
      audit: join(mkdtempSync(join(tmpdir(), 'fix-breaking-')), 'audit.db'),
    };
    const { code, stdout } = await fix(
      env,
      'set-mode-permissive:PeerAuthentication/payments/default',
      '--apply',
    );
    expect(code).toBe(EXIT.ok);
    expect(stdout).toMatch(/^Impact: repairs 1 call \(legacy\/cron-0 → payments\/payments:80\), breaks 0$/m);
    expect(stdout).not.toContain('WARNING');
    expect(stdout).toContain('Applied (audit entry 1).');
  });
  it('a change that acts when workloads restart (a namespace label) applies without the flag, its note shown, as in Slack', async () => {
    fake = paymentsCluster();
    const env = {
      kubeconfig: kubeconfigFile(await fake.start()),
      audit: join(mkdtempSync(join(tmpdir(), 'fix-breaking-')), 'audit.db'),
    };
    const { code, stdout, stderr } = await fix(env, 'label-injection:Namespace/legacy', '--apply');
    expect(stderr).not.toContain('refused');
    expect(stdout).toContain('Impact: impact on calls not computed: this change acts when workloads restart');
    expect(stdout).toContain('Applied (audit entry 1).');
    expect(code).not.toBe(EXIT.usage);
  });

  it('an object changed between the impact and the write is not written: the impact was of another change (exit 3)', async () => {
    fake = paymentsCluster();
    let answer: () => void = () => {};
    // The first dry run's answer is held while someone else changes the policy.
    fake.fault('/apis/security.istio.io/v1/namespaces/payments/peerauthentications/default', {
      method: 'PATCH',
      times: 1,
      answerUntil: new Promise<void>((r) => (answer = r)),
    });
    const env = {
      kubeconfig: kubeconfigFile(await fake.start()),
      audit: join(mkdtempSync(join(tmpdir(), 'fix-breaking-')), 'audit.db'),
    };
    const run = fix(env, 'set-mode-permissive:PeerAuthentication/payments/default', '--apply');
    await until(() => fake.writes.length === 1, 'the dry run was never sent', 5000);
    fake.touch('PeerAuthentication', 'payments', 'default');
    answer();
    const { code, stderr } = await run;
    expect(code).toBe(EXIT.incomplete);
    expect(stderr).toContain('changed since');
    expect(fake.writes.filter((w) => !w.dryRun)).toEqual([]);
  });
});
