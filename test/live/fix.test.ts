// `mtls-doctor fix` against a Kubernetes API on loopback: dry run first and a diff, then exactly one
// merge patch with the resourceVersion precondition, an audit entry that survives a restart, clear
// messages for 409 and 403, and a rollback that restores the previous spec.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../commands/main.js';
import { applyPlan, previewPlan } from '../../src/remediation/apply.js';
import { enableAutoMtls, setDestinationRuleTls } from '../../src/remediation/plans.js';
import { createKubeApi } from '../../src/snapshot/live/kube-api.js';
import type { DestinationRule } from '../../src/snapshot/types.js';
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
    // What the change does to calls, from the dry run's object on the snapshot, before --apply.
    expect(stdout).toMatch(/^Impact: repairs [1-9]\d* calls? \([^)]*→ payments\/[^)]*\), breaks 0$/m);
    expect(stdout).not.toContain('WARNING');
    expect(mode()).toBe('STRICT');
  });

  it('without --apply, from a cluster read in part: the impact is unknown and says so, not "breaks 0"', async () => {
    const env = await cluster();
    fake.fault('/apis/networking.istio.io/v1/serviceentries', {
      status: 403,
      reason: 'Forbidden',
      message: 'no',
    });
    const { code, stdout } = await fix(env, PLAN);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain(
      'WARNING: what this change breaks is unknown: the cluster could not be read whole.',
    );
    expect(stdout).toMatch(
      /^Impact: impact on calls not computed: the view it is computed on is incomplete: serviceentries/m,
    );
    expect(stdout).not.toContain('breaks 0');
  });

  it('--apply: dry run, then exactly one real patch; audited (surviving a restart); the re-check shows the effect; rollback restores', async () => {
    const env = await cluster();
    const applied = await fix(env, PLAN, '--apply');
    expect(applied.code).toBe(EXIT.ok);
    // The dry run the impact is computed from, the apply's own, then the one real patch of that body.
    expect(fake.writes.map((w) => w.dryRun)).toEqual([true, true, false]);
    expect(fake.writes[2]?.body).toEqual(fake.writes[0]?.body);
    expect(mode()).toBe('PERMISSIVE');
    expect(applied.stdout).toContain('strict-plaintext-clients: 1 finding(s) before, 0 after.');
    expect(applied.stdout).toContain(
      `Roll back with: mtls-doctor fix --rollback 1 --audit ${env.audit} --kubeconfig ${env.kubeconfig}\n`,
    );
    const log = new AuditLog(env.audit);
    expect(log.get(1)).toMatchObject({
      planId: PLAN,
      state: 'applied',
      previous: { spec: { mtls: { mode: 'STRICT' } } },
    });
    log.close();

    // Undoing the fix breaks the call it repaired: said, and refused until accepted.
    const refused = await fix(env, '--rollback', '1');
    expect(refused.stdout).toContain('WARNING: this change breaks 1 call.');
    expect(refused.stderr).toContain('refused: this change breaks 1 call; nothing was rolled back');
    expect(refused.code).toBe(EXIT.usage);
    expect(mode()).toBe('PERMISSIVE');
    const back = await fix(env, '--rollback', '1', '--accept-breaking');
    expect(back.code).toBe(EXIT.ok);
    expect(mode()).toBe('STRICT');
    const after = new AuditLog(env.audit);
    expect(after.get(1)?.state).toBe('rolled-back');
    expect(after.get(2)).toMatchObject({ planId: 'rollback:1', state: 'applied' });
    after.close();
  });

  it('the printed rollback command carries the audit log, kubeconfig and context used, shell-quoted, and runs as printed from another directory', async () => {
    const env = await cluster();
    const dir = mkdtempSync(join(tmpdir(), "fix it's here-"));
    const applied = await runCli(
      [
        'fix',
        PLAN,
        '--apply',
        '--kubeconfig',
        env.kubeconfig,
        '--context',
        'loopback',
        '--audit',
        'my audit.db',
      ],
      { cwd: dir },
    );
    expect(applied.code).toBe(EXIT.ok);
    const printed = /^Roll back with: mtls-doctor (.*)$/m.exec(applied.stdout)?.[1] ?? '';
    const quotedAudit = `'${join(dir, 'my audit.db').replaceAll("'", "'\\''")}'`;
    expect(printed).toBe(
      `fix --rollback 1 --audit ${quotedAudit} --kubeconfig ${env.kubeconfig} --context loopback`,
    );
    // The words a shell makes of it, run from this process's directory, not the one fix ran in.
    const words = execFileSync('sh', ['-c', `printf '%s\\0' ${printed}`], { encoding: 'utf8' })
      .split('\0')
      .slice(0, -1);
    // As printed it shows what the rollback breaks again and stops; accepted, it rolls back.
    const shown = await runCli(words);
    expect(shown.stdout).toContain('breaks 1 (legacy/cron-0 → payments/payments:80)');
    expect(shown.code).toBe(EXIT.usage);
    const back = await runCli([...words, '--accept-breaking']);
    expect(back.stderr).toBe('');
    expect(back.code).toBe(EXIT.ok);
    expect(mode()).toBe('STRICT');
  });

  it('a re-check that cannot read the cluster after the change: the diff, "Applied", the rollback command, then one warning; exit 0, the change stays audited as applied', async () => {
    const env = await cluster();
    // Every LIST is refused once the change is written (the credentials expired meanwhile).
    const written = () => fake.writes.some((w) => !w.dryRun);
    fake.fault('/', {
      list: true,
      when: written,
      status: 401,
      reason: 'Unauthorized',
      message: 'Unauthorized',
    });
    const { code, stdout, stderr } = await fix(env, PLAN, '--apply');
    expect(mode()).toBe('PERMISSIVE');
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain('+    mode: PERMISSIVE');
    expect(stdout).toContain('Applied (audit entry 1).\n');
    expect(stdout).toContain(`Roll back with: mtls-doctor fix --rollback 1 --audit ${env.audit}`);
    expect(stdout).toMatch(
      /^strict-plaintext-clients: 1 finding\(s\) before, after: unknown \(the re-check could not read the cluster\)\.$/m,
    );
    expect(stderr).toMatch(
      /^mtls-doctor: warning: the change is applied \(audit entry 1\), but the re-check after it failed: cannot read the cluster at .*401.*\n$/,
    );
    const log = new AuditLog(env.audit);
    expect(log.get(1)?.state).toBe('applied');
    log.close();
  });

  it('a re-check that reads the cluster only in part says the count after is unknown, never a count of what it could read', async () => {
    const env = await cluster();
    const written = () => fake.writes.some((w) => !w.dryRun);
    fake.fault('/apis/security.istio.io/v1/peerauthentications', {
      list: true,
      when: written,
      status: 403,
      reason: 'Forbidden',
      message: 'peerauthentications.security.istio.io is forbidden',
    });
    const { code, stdout } = await fix(env, PLAN, '--apply');
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain('Applied (audit entry 1).\n');
    expect(stdout).toContain(
      'strict-plaintext-clients: 1 finding(s) before, after: unknown (incomplete: peerauthentications.security.istio.io list (all namespaces)).',
    );
    expect(stdout).not.toMatch(/\d+ after/);
  });

  it('a conflict (the object changed since it was read) is refused with a clear message and audited as failed', async () => {
    const env = await cluster();
    fake.fault('/apis/security.istio.io/v1/namespaces/payments/peerauthentications/default', {
      method: 'PATCH',
      skip: 2, // the two dry runs pass
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

describe('a fix changes exactly what it says', () => {
  const DR_PATH = '/apis/networking.istio.io/v1/namespaces/payments/destinationrules/payments';
  const portLevelRule = () => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'payments', namespace: 'payments', resourceVersion: '30' },
    spec: {
      host: 'payments.payments.svc.cluster.local',
      trafficPolicy: {
        portLevelSettings: [
          {
            port: { number: 80 },
            connectionPool: { tcp: { maxConnections: 100 } },
            loadBalancer: { simple: 'LEAST_REQUEST' },
            tls: { mode: 'DISABLE' },
          },
          { port: { number: 9090 }, outlierDetection: { consecutive5xxErrors: 3 } },
        ],
      },
    },
  });

  it('the port-level DestinationRule TLS fix sets tls.mode only: connectionPool, loadBalancer and outlierDetection stay', async () => {
    fake = paymentsCluster().add(portLevelRule());
    const env = {
      kubeconfig: kubeconfigFile(await fake.start()),
      audit: join(mkdtempSync(join(tmpdir(), 'fix-')), 'a.db'),
    };
    const plan =
      'set-tls-istio-mutual:DestinationRule/payments/payments:spec.trafficPolicy.portLevelSettings[0].tls';
    const preview = await fix(env, plan);
    expect(preview.code).toBe(EXIT.ok);
    // The diff is the whole change: one line.
    expect(preview.stdout.split('\n').filter((l) => /^[-+] /.test(l))).toEqual([
      '-          mode: DISABLE',
      '+          mode: ISTIO_MUTUAL',
    ]);
    const applied = await fix(env, plan, '--apply');
    expect(applied.code).toBe(EXIT.ok);
    const expected = portLevelRule().spec;
    (expected.trafficPolicy.portLevelSettings[0] as { tls: { mode: string } }).tls.mode = 'ISTIO_MUTUAL';
    expect(fake.find('DestinationRule', 'payments', 'payments')?.spec).toEqual(expected);
    expect(fake.writes.every((w) => w.path === DR_PATH && w.body !== undefined)).toBe(true);
  });

  it('the subset branch sets that subset’s tls.mode only, and a plan whose list entry moved is refused', async () => {
    fake = paymentsCluster().add({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'payments', namespace: 'payments', resourceVersion: '30' },
      spec: {
        host: 'payments.payments.svc.cluster.local',
        subsets: [
          {
            name: 'v1',
            labels: { version: 'v1' },
            trafficPolicy: { connectionPool: { http: { http2MaxRequests: 10 } }, tls: { mode: 'DISABLE' } },
          },
          { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } },
        ],
      },
    });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigFile(await fake.start()));
    const api = createKubeApi({ kubeConfig }).objects;
    // The rule as the check's snapshot holds it: schema-reduced, without connectionPool or loadBalancer.
    const snapshotRule: DestinationRule = {
      meta: { name: 'payments', namespace: 'payments', labels: {}, annotations: {} },
      host: 'payments.payments.svc.cluster.local',
      exportTo: [],
      subsets: [
        {
          name: 'v1',
          labels: { version: 'v1' },
          trafficPolicy: { tls: { mode: 'DISABLE' }, portLevelSettings: [] },
        },
        { name: 'v2', labels: { version: 'v2' } },
      ],
    };
    const plan = setDestinationRuleTls(snapshotRule, 'spec.subsets[0].trafficPolicy.tls', 'ISTIO_MUTUAL');
    const audit = new AuditLog(':memory:');
    const applied = await applyPlan(api, plan, audit, 'tester');
    expect(applied.diff.split('\n').filter((l) => /^[-+] /.test(l))).toEqual([
      '-          mode: DISABLE',
      '+          mode: ISTIO_MUTUAL',
    ]);
    const stored = fake.find('DestinationRule', 'payments', 'payments');
    const subsets = (stored?.spec as { subsets: unknown[] } | undefined)?.subsets ?? [];
    expect(subsets).toEqual([
      {
        name: 'v1',
        labels: { version: 'v1' },
        trafficPolicy: { connectionPool: { http: { http2MaxRequests: 10 } }, tls: { mode: 'ISTIO_MUTUAL' } },
      },
      { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } },
    ]);
    // Someone reorders the subsets: index 0 is no longer v1, so the plan no longer means the same.
    subsets.reverse();
    fake.touch('DestinationRule', 'payments', 'payments');
    await expect(previewPlan(api, plan)).rejects.toThrow(/changed since the check.*\/spec\/subsets\/0\/name/);
    audit.close();
  });

  it('enable auto mTLS is computed from the mesh ConfigMap read at request time: a setting added since the check stays', async () => {
    fake = paymentsCluster().add({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'istio', namespace: 'istio-system', resourceVersion: '40' },
      data: { mesh: 'rootNamespace: istio-system\nenableAutoMtls: false\n' },
    });
    const env = {
      kubeconfig: kubeconfigFile(await fake.start()),
      audit: join(mkdtempSync(join(tmpdir(), 'fix-')), 'a.db'),
    };
    // The plan as a check made it (the Slack flow keeps it until someone requests it).
    const check = await runCli(['check', '--kubeconfig', env.kubeconfig, '--no-istioctl', '-o', 'json']);
    const planIds = (
      JSON.parse(check.stdout) as { findings: { remediations: { id: string }[] }[] }
    ).findings.flatMap((f) => f.remediations.map((r) => r.id));
    expect(planIds).toContain('enable-auto-mtls:ConfigMap/istio-system/istio');
    const plan = enableAutoMtls(
      { kind: 'ConfigMap', namespace: 'istio-system', name: 'istio' },
      'rootNamespace: istio-system\nenableAutoMtls: false\n',
    );
    // Then someone adds a setting.
    const cm = fake.find('ConfigMap', 'istio-system', 'istio') as unknown as { data: { mesh: string } };
    cm.data.mesh =
      'rootNamespace: istio-system\nenableAutoMtls: false\noutboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n';
    fake.touch('ConfigMap', 'istio-system', 'istio');
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(env.kubeconfig);
    const api = createKubeApi({ kubeConfig }).objects;
    const preview = await previewPlan(api, plan);
    expect(preview.diff.split('\n').filter((l) => /^[-+] /.test(l))).toEqual([
      '-    enableAutoMtls: false',
      '+    enableAutoMtls: true',
    ]);
    const audit = new AuditLog(':memory:');
    await applyPlan(api, plan, audit, 'tester', new Date(), {
      expectResourceVersion: preview.before?.metadata?.resourceVersion,
    });
    expect(
      (fake.find('ConfigMap', 'istio-system', 'istio') as unknown as { data: { mesh: string } }).data.mesh,
    ).toBe(
      'rootNamespace: istio-system\nenableAutoMtls: true\noutboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n',
    );
    audit.close();
  });
});

describe('fix against a misbehaving or restricted API server', () => {
  it('--request-timeout: an API server that never answers ends fix and rollback with a clear message, exit 3', async () => {
    const silent = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const kubeconfig = kubeconfigFile(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`);
      const dir = mkdtempSync(join(tmpdir(), 'fix-'));
      const audit = new AuditLog(join(dir, 'a.db'));
      const id = audit.begin({
        planId: PLAN,
        target: {
          apiVersion: 'security.istio.io/v1',
          kind: 'PeerAuthentication',
          namespace: 'payments',
          name: 'default',
        },
        actor: 'tester',
        createdAt: new Date().toISOString(),
        previous: { spec: { mtls: { mode: 'STRICT' } } },
        patch: { spec: { mtls: { mode: 'PERMISSIVE' } } },
      });
      audit.finish(id, 'applied', { resultVersion: '8' });
      audit.close();
      const back = await runCli([
        'fix',
        '--rollback',
        String(id),
        '--kubeconfig',
        kubeconfig,
        '--audit',
        join(dir, 'a.db'),
        '--request-timeout',
        '300',
      ]);
      expect(back.code).toBe(EXIT.incomplete);
      expect(back.stderr).toContain('did not answer in time');
      expect(back.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      const dry = await runCli(['fix', PLAN, '--kubeconfig', kubeconfig, '--request-timeout', '300'], {
        cwd: dir,
      });
      expect(dry.code).toBe(EXIT.incomplete);
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });

  it('a hanging read of the object during the dry run times out too', async () => {
    const env = await cluster();
    fake.fault('/apis/security.istio.io/v1/namespaces/payments/peerauthentications/default', {
      method: 'GET',
      delayMs: 60_000,
    });
    const { code, stderr } = await fix(env, PLAN, '--request-timeout', '300');
    expect(code).toBe(EXIT.incomplete);
    expect(stderr).toContain(
      'cannot read PeerAuthentication payments/default: the API server did not answer in time',
    );
  });

  it('rollback with get and patch RBAC, every LIST forbidden: the impact is unknown, refused; --accept-breaking rolls back', async () => {
    const env = await cluster();
    expect((await fix(env, PLAN, '--apply')).code).toBe(EXIT.ok);
    fake.fault('/', { list: true, status: 403, reason: 'Forbidden', message: 'cannot list resource' });
    const refused = await fix(env, '--rollback', '1');
    expect(refused.code).toBe(EXIT.usage);
    expect(refused.stdout).toContain('Impact: impact on calls not computed: the cluster could not be read');
    expect(refused.stderr).toContain(
      'refused: its impact on calls could not be computed; nothing was rolled back',
    );
    expect(mode()).toBe('PERMISSIVE');
    const back = await fix(env, '--rollback', '1', '--accept-breaking');
    expect(back.stderr).toBe('');
    expect(back.code).toBe(EXIT.ok);
    expect(mode()).toBe('STRICT');
  });

  it('rollback with no audit log, or an unknown entry, is bad usage (exit 2) and creates no file', async () => {
    const env = await cluster();
    const missing = await fix(env, '--rollback', '1');
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.stderr).toContain('no audit log at');
    expect(existsSync(env.audit)).toBe(false);
    expect((await fix(env, PLAN, '--apply')).code).toBe(EXIT.ok);
    const unknown = await fix(env, '--rollback', '7');
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toContain('no audit entry 7');
  });

  it('--audit in a directory that does not exist, or naming a file that is not a database: one line naming --audit, exit 2, nothing changed', async () => {
    const env = await cluster();
    const dir = mkdtempSync(join(tmpdir(), 'fix-audit-'));
    const missing = join(dir, 'no-such-dir', 'audit.db');
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'these are my notes, not a SQLite database\n'.repeat(200));
    const apply = (audit: string) => fix({ ...env, audit }, PLAN, '--apply');
    const inMissingDir = await apply(missing);
    expect(inMissingDir).toMatchObject({ code: EXIT.usage, stdout: '' });
    expect(inMissingDir.stderr).toBe(
      `mtls-doctor: --audit ${missing}: the directory ${join(dir, 'no-such-dir')} does not exist\n`,
    );
    const notADatabase = await apply(notes);
    expect(notADatabase).toMatchObject({ code: EXIT.usage, stdout: '' });
    expect(notADatabase.stderr).toBe(`mtls-doctor: --audit ${notes}: file is not a database\n`);
    const rollbackFromNotes = await fix({ ...env, audit: notes }, '--rollback', '1');
    expect(rollbackFromNotes.code).toBe(EXIT.usage);
    expect(rollbackFromNotes.stderr).toBe(`mtls-doctor: --audit ${notes}: file is not a database\n`);
    expect(fake.writes.filter((w) => !w.dryRun)).toEqual([]);
    expect(mode()).toBe('STRICT');
  });

  it('a dry run leaves no audit file in the working directory; --apply writes it there', async () => {
    const env = await cluster();
    const dir = mkdtempSync(join(tmpdir(), 'fix-cwd-'));
    const dry = await runCli(['fix', PLAN, '--kubeconfig', env.kubeconfig], { cwd: dir });
    expect(dry.code).toBe(EXIT.ok);
    expect(readdirSync(dir)).toEqual([]);
    const applied = await runCli(['fix', PLAN, '--kubeconfig', env.kubeconfig, '--apply'], { cwd: dir });
    expect(applied.code).toBe(EXIT.ok);
    expect(readdirSync(dir)).toContain('mtls-doctor-audit.db');
  });
});

describe('bare pods', () => {
  it('the plan says delete and recreate, shows the commands that do it, and fix refuses it as run by hand (exit 2)', async () => {
    // A pod started before its namespace asked for injection, with no controller to restart it.
    fake = paymentsCluster().add({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'batch-0', namespace: 'payments', labels: { app: 'batch' } },
      spec: { containers: [{ name: 'app' }] },
      status: { phase: 'Running' },
    });
    const env = {
      kubeconfig: kubeconfigFile(await fake.start()),
      audit: join(mkdtempSync(join(tmpdir(), 'fix-')), 'a.db'),
    };
    const check = await runCli(['check', '--kubeconfig', env.kubeconfig, '--no-istioctl', '-o', 'json']);
    const findings = (
      JSON.parse(check.stdout) as {
        findings: {
          code: string;
          fix: string;
          remediations: { id: string; title: string; kubectl: string }[];
        }[];
      }
    ).findings;
    // The plan is listed once, with the calls the pod fails (strict-plaintext-clients); both findings
    // say how a bare pod is restarted.
    const plan = findings.flatMap((f) => f.remediations).find((r) => r.id === 'restart:Pod/payments/batch-0');
    const missing = findings.find((f) => f.code === 'sidecar-missing' && f.fix.includes('batch-0'));
    expect(missing?.fix).toContain('Delete and recreate the pods');
    expect(missing?.fix).not.toContain('rollout restart');
    const failing = findings.find((f) => f.remediations.includes(plan as never));
    expect(failing?.fix).toContain(
      'payments/batch-0 runs pods started before injection was asked for it: delete and recreate it',
    );
    expect(plan?.title).toContain('Delete and recreate bare pod payments/batch-0');
    expect(plan?.kubectl).toBe('kubectl get pod batch-0 -n payments -o yaml | kubectl replace --force -f -');
    const { code, stderr } = await fix(env, 'restart:Pod/payments/batch-0', '--apply');
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain('is run by hand');
    expect(stderr).toContain('kubectl get pod batch-0 -n payments -o yaml | kubectl replace --force -f -');
    expect(fake.writes).toEqual([]);
  });
});
