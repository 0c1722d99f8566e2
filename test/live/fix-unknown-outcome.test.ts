// A change whose write got no answer saying whether it was carried out (a timeout or a reset after the
// API server applied it) is settled by reading the object back: applied or not, and said so. Only what
// that cannot tell (the read fails too, an interrupt while the change was on its way) is recorded as
// `unknown`, never `failed`, and fix says it may have been applied and how to look; `--rollback` of such
// an entry reads the object and undoes the change exactly like an applied one if it landed, else
// refuses. An audit log that cannot take the outcome of a change that was made never turns it into a
// failure.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../commands/main.js';
import { AuditLog } from '../../src/store/audit-store.js';
import type { FakeKubeApi, Fault } from '../helpers/fake-kube-api.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';
import { runCli } from '../helpers/run-cli.js';
import { until } from '../helpers/until.js';

const ROOT = join(import.meta.dirname, '../..');
const PLAN = 'set-mode-permissive:PeerAuthentication/payments/default';
const POLICY = '/apis/security.istio.io/v1/namespaces/payments/peerauthentications/default';
let fake: FakeKubeApi;
afterEach(async () => fake?.stop());

/**
 * The payments cluster with `fault` on the real PATCH of the policy (the two dry runs before it pass:
 * the one the impact is computed from, and the apply's own).
 */
async function cluster(fault: Fault) {
  fake = paymentsCluster();
  fake.fault(POLICY, { method: 'PATCH', skip: 2, times: 1, ...fault });
  const kubeconfig = kubeconfigFile(await fake.start());
  return { kubeconfig, audit: join(mkdtempSync(join(tmpdir(), 'fix-unknown-')), 'audit.db') };
}

const fix = (env: { kubeconfig: string; audit: string }, ...args: string[]) =>
  runCli(['fix', ...args, '--kubeconfig', env.kubeconfig, '--audit', env.audit]);

const mode = () =>
  (fake.find('PeerAuthentication', 'payments', 'default')?.spec as { mtls?: { mode: string } } | undefined)
    ?.mtls?.mode;

function entry(audit: string, id: number) {
  const log = new AuditLog(audit);
  try {
    return log.get(id);
  } finally {
    log.close();
  }
}

const realWrites = () => fake.writes.filter((w) => !w.dryRun);

/** What fix says of a change that may have landed: how to look, the entry, and the rollback that checks first. */
const mayHaveLanded = (env: { kubeconfig: string; audit: string }) =>
  `the change may have been applied — check with: kubectl get peerauthentication default -n payments -o yaml; audit entry 1 records its outcome as unknown; mtls-doctor fix --rollback 1 --audit ${env.audit} --kubeconfig ${env.kubeconfig} rolls it back only if it landed`;

describe('a change whose outcome is unknown', () => {
  it('a timeout after the API server applied the change: read back, it is applied and said so with a warning; --rollback undoes it', async () => {
    const env = await cluster({ answerDelayMs: 2500 });
    const applied = await fix(env, PLAN, '--apply', '--request-timeout', '1000');
    expect(mode()).toBe('PERMISSIVE');
    const version = fake.find('PeerAuthentication', 'payments', 'default')?.metadata.resourceVersion;
    expect(applied.code).toBe(EXIT.ok);
    expect(applied.stdout).toContain('Applied (audit entry 1).\n');
    expect(applied.stderr).toBe(
      `mtls-doctor: warning: the answer to the change was lost (cannot change PeerAuthentication payments/default: the API server did not answer in time (request timeout; raise it if the server is just slow)); read back, PeerAuthentication payments/default holds the change (resourceVersion ${version})\n`,
    );
    expect(entry(env.audit, 1)).toMatchObject({ state: 'applied', resultVersion: version });

    const back = await fix(env, '--rollback', '1', '--accept-breaking');
    expect(back.stderr).toBe('');
    expect(back.code).toBe(EXIT.ok);
    expect(back.stdout).toContain('-    mode: PERMISSIVE\n+    mode: STRICT');
    expect(mode()).toBe('STRICT');
    // The same dry run and precondition as the rollback of an applied change: bound to the version the
    // change left, which the object was read at.
    expect(fake.writes.slice(-2).map((w) => [w.dryRun, (w.body as { metadata: object }).metadata])).toEqual([
      [true, { name: 'default', namespace: 'payments', resourceVersion: version }],
      [false, { name: 'default', namespace: 'payments', resourceVersion: version }],
    ]);
    expect(entry(env.audit, 1)).toMatchObject({ state: 'rolled-back', resultVersion: version });
    expect(entry(env.audit, 2)).toMatchObject({ planId: 'rollback:1', state: 'applied' });
  }, 15_000);

  it('a connection reset after the write, and its read-back refused too: unknown, never "failed"', async () => {
    const env = await cluster({ dropAnswer: true });
    fake.fault('/apis/security.istio.io/v1/namespaces/payments/peerauthentications', {
      method: 'GET',
      times: 1,
      status: 503,
      when: () => mode() === 'PERMISSIVE',
    });
    const applied = await fix(env, PLAN, '--apply');
    expect(mode()).toBe('PERMISSIVE');
    expect(applied.code).toBe(EXIT.incomplete);
    expect(applied.stderr).toMatch(
      /^mtls-doctor: cannot change PeerAuthentication payments\/default: \S+; read back, reading PeerAuthentication payments\/default back failed too \(cannot read PeerAuthentication payments\/default: HTTP 503 injected fault\); /,
    );
    expect(applied.stderr).toContain(mayHaveLanded(env));
    expect(applied.stderr.split('\n')).toHaveLength(2);
    expect(entry(env.audit, 1)?.state).toBe('unknown');
  });

  it('a timeout of a change that has not landed: read back unchanged, it stays unknown (the server may still carry it out); --rollback changes nothing', async () => {
    // The API server answers after the client gave up, and the answer is a refusal.
    const env = await cluster({ delayMs: 2500, status: 409, reason: 'Conflict', message: 'modified' });
    const applied = await fix(env, PLAN, '--apply', '--request-timeout', '1000');
    expect(applied.code).toBe(EXIT.incomplete);
    expect(applied.stderr).toContain(
      'read back, PeerAuthentication payments/default is unchanged (resourceVersion 7): the change was not applied yet, but the request may still be carried out; the change may have been applied — check with: kubectl get peerauthentication default -n payments -o yaml; audit entry 1 records its outcome as unknown',
    );

    expect(entry(env.audit, 1)?.state).toBe('unknown');
    expect(mode()).toBe('STRICT');
    const writes = fake.writes.length;

    const back = await fix(env, '--rollback', '1');
    expect(back.code).toBe(EXIT.incomplete);
    expect(back.stderr).toBe(
      'mtls-doctor: audit entry 1 has no recorded outcome (unknown) and PeerAuthentication payments/default does not hold what it wrote: the change did not land (or the object changed since); nothing was rolled back\n',
    );
    expect(fake.writes.length).toBe(writes);
    expect(entry(env.audit, 1)?.state).toBe('unknown');
  }, 15_000);

  it('Ctrl-C while the change is on its way: the outcome is recorded as unknown before exit 130, and said', async () => {
    let answer: () => void = () => {};
    const env = await cluster({ answerUntil: new Promise<void>((r) => (answer = r)) });
    const { KUBECONFIG: _k, ...inherited } = process.env;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'test/snapshot/cli-entry.ts',
        'fix',
        PLAN,
        '--apply',
        '--kubeconfig',
        env.kubeconfig,
        '--audit',
        env.audit,
      ],
      { cwd: ROOT, env: inherited, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await until(
        () => realWrites().length === 1,
        () => `the change was never sent: ${stderr}`,
        20_000,
      );
      expect(mode()).toBe('PERMISSIVE');
      child.kill('SIGINT');
      expect(await exited).toBe(130);
    } finally {
      child.kill('SIGKILL');
      answer();
    }
    expect(stderr).toBe(
      `mtls-doctor: interrupted (SIGINT) while a change was on its way to the API server; ${mayHaveLanded(env)}\n`,
    );
    expect(entry(env.audit, 1)).toMatchObject({ state: 'unknown', error: expect.stringContaining('SIGINT') });
    const back = await fix(env, '--rollback', '1', '--accept-breaking');
    expect(back.code).toBe(EXIT.ok);
    expect(mode()).toBe('STRICT');
  }, 30_000);

  it('an audit log locked after the change was made: the change is reported applied with one warning line, its entry is not marked failed, and --rollback still works', async () => {
    let answer: () => void = () => {};
    const env = await cluster({ answerUntil: new Promise<void>((r) => (answer = r)) });
    const run = fix(env, PLAN, '--apply');
    await until(() => realWrites().length === 1, 'the change was never sent', 5000);
    // Another writer holds the audit log while the answer comes (SQLite waits 5 s, then gives up).
    const other = new Database(env.audit);
    other.exec('BEGIN IMMEDIATE');
    answer();
    const applied = await run;
    other.exec('ROLLBACK');
    other.close();
    expect(mode()).toBe('PERMISSIVE');
    expect(applied.code).toBe(EXIT.ok);
    expect(applied.stdout).toContain('Applied (audit entry 1).\n');
    expect(applied.stderr).toBe(
      'mtls-doctor: warning: the change is made, but audit entry 1 could not be updated (database is locked) and still says applying\n',
    );
    expect(entry(env.audit, 1)?.state).toBe('applying');
    // "applying" is also a write on its way in another process: refused for a while, then rolled back.
    const early = await fix(env, '--rollback', '1');
    expect(early.code).toBe(EXIT.incomplete);
    expect(early.stderr).toContain('audit entry 1 is still being applied (started');
    expect(mode()).toBe('PERMISSIVE');
    const log = new Database(env.audit);
    log
      .prepare('UPDATE audit SET created_at = ? WHERE id = 1')
      .run(new Date(Date.now() - 6 * 60_000).toISOString());
    log.close();
    const back = await fix(env, '--rollback', '1', '--accept-breaking');
    expect(back.stderr).toBe('');
    expect(back.code).toBe(EXIT.ok);
    expect(mode()).toBe('STRICT');
    expect(entry(env.audit, 1)?.state).toBe('rolled-back');
  }, 20_000);
});
