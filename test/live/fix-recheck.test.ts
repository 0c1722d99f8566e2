// The re-check after `mtls-doctor fix --apply`, against a Kubernetes API on loopback: besides the
// count of the plan's own finding code, it names every error and warning finding the change opened,
// and a change that opened an error exits 1 (it is made: never 3).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../commands/main.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';
import { runCli } from '../helpers/run-cli.js';

let fake: FakeKubeApi;
afterEach(async () => fake?.stop());

async function start(cluster: FakeKubeApi) {
  fake = cluster;
  const kubeconfig = kubeconfigFile(await fake.start());
  return { kubeconfig, audit: join(mkdtempSync(join(tmpdir(), 'fix-recheck-')), 'audit.db') };
}

const fix = (env: { kubeconfig: string; audit: string }, ...args: string[]) =>
  runCli(['fix', ...args, '--kubeconfig', env.kubeconfig, '--audit', env.audit]);

describe('the re-check after fix --apply', () => {
  it('names the error the change opened under another code than the plan’s, and exits 1', async () => {
    // Without its PeerAuthentication, payments accepts plaintext: STRICT breaks legacy/cron-0's call.
    const cluster = paymentsCluster();
    cluster.remove('PeerAuthentication', 'payments', 'default');
    const env = await start(cluster);
    const { code, stdout, stderr } = await fix(
      env,
      'create-strict:PeerAuthentication/payments/default',
      '--apply',
      '--accept-breaking',
    );
    expect(fake.find('PeerAuthentication', 'payments', 'default')).toBeDefined();
    // The plan's own code, as before.
    expect(stdout).toContain('mesh-not-strict: 3 finding(s) before, 2 after.');
    expect(stdout).toMatch(
      /^Opened by the change: error strict-plaintext-clients PeerAuthentication payments\/default: Clients without a sidecar \(legacy\/cron-0\) cannot reach payments\/payments:80/m,
    );
    // What was there before (no root certificate ConfigMap) is not news.
    expect(stdout).not.toMatch(/^Opened by the change: error certificate-missing/m);
    expect(code).toBe(EXIT.findings);
    expect(stderr).toMatch(
      /^mtls-doctor: warning: the change is applied \(audit entry 1\), but it opened 1 error finding; roll back with: mtls-doctor fix --rollback 1 /m,
    );
  });

  it('a change that opens nothing names nothing and exits 0', async () => {
    const env = await start(paymentsCluster());
    const { code, stdout, stderr } = await fix(
      env,
      'set-mode-permissive:PeerAuthentication/payments/default',
      '--apply',
    );
    expect(stdout).toContain('strict-plaintext-clients: 1 finding(s) before, 0 after.');
    expect(stdout).not.toContain('Opened by the change');
    expect(stderr).toBe('');
    expect(code).toBe(EXIT.ok);
  });

  it('a re-check read in part says the findings opened are unknown, never "none", and exits 0', async () => {
    const cluster = paymentsCluster();
    cluster.remove('PeerAuthentication', 'payments', 'default');
    const env = await start(cluster);
    fake.fault('/api/v1/pods', {
      list: true,
      when: () => fake.writes.some((w) => !w.dryRun),
      status: 403,
      reason: 'Forbidden',
      message: 'pods is forbidden',
    });
    const { code, stdout } = await fix(
      env,
      'create-strict:PeerAuthentication/payments/default',
      '--apply',
      '--accept-breaking',
    );
    expect(stdout).toMatch(/^Findings opened by the change: unknown \(incomplete: pods list/m);
    expect(code).toBe(EXIT.ok);
  });
});
