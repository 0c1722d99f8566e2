// Settings that cannot work end `serve` and `digest` at start with one line naming the setting (exit 2
// for a bad setting, 3 for no cluster to read), never a stack trace, never a process left running.
// Run as the real CLI process: the bot's answer workers must not keep a failed start alive.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';

const ROOT = new URL('../..', import.meta.url).pathname;
let dir: string;
let fake: FakeKubeApi;
let kubeconfig: string;

beforeAll(async () => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT });
  dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-startup-'));
  fake = paymentsCluster();
  kubeconfig = kubeconfigFile(await fake.start());
}, 60_000);
afterAll(() => fake?.stop());

function cli(args: string[], env: Record<string, string> = {}) {
  const { KUBECONFIG: _k, KUBERNETES_SERVICE_HOST: _h, ...inherited } = process.env;
  const result = spawnSync('node', [join(ROOT, 'bin/mtls-doctor.js'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 30_000,
    env: {
      ...inherited,
      HOME: dir,
      SLACK_BOT_TOKEN: 'xoxb-startup-test',
      SLACK_SIGNING_SECRET: 'startup-secret',
      SLACK_APP_TOKEN: '',
      ...env,
    },
  });
  return { code: result.status, stderr: result.stderr, signal: result.signal };
}

function expectOneLine(stderr: string) {
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at |Error:/);
}

describe('start-up settings that cannot work', () => {
  it('serve with no kubeconfig at all (and not in a pod): exit 3, one line', () => {
    const { code, stderr } = cli(['serve']);
    expect(code).toBe(3);
    expect(stderr).toContain('mtls-doctor: no Kubernetes cluster configured');
    expectOneLine(stderr);
  });

  it('serve with KUBECONFIG naming a missing file: exit 2, names KUBECONFIG', () => {
    const { code, stderr } = cli(['serve'], { KUBECONFIG: join(dir, 'missing-kubeconfig') });
    expect(code).toBe(2);
    expect(stderr).toContain(`cannot load kubeconfig from KUBECONFIG=${join(dir, 'missing-kubeconfig')}`);
    expectOneLine(stderr);
  });

  it('serve with a --context the kubeconfig does not have: exit 2, names the context', () => {
    const { code, stderr } = cli(['serve', '--kubeconfig', kubeconfig, '--context', 'prod']);
    expect(code).toBe(2);
    expect(stderr).toBe('mtls-doctor: kubeconfig has no context "prod" (contexts: loopback)\n');
  });

  it('serve with store.path in a directory that does not exist: exit 2, names store.path', () => {
    const config = join(dir, 'bad-store.yaml');
    const path = join(dir, 'no-such-dir', 'state.db');
    writeFileSync(config, `store:\n  path: ${path}\n`);
    const { code, stderr } = cli(['serve', '-f', join(ROOT, 'examples/mesh'), '--config', config]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `mtls-doctor: store.path ${path}: the directory ${join(dir, 'no-such-dir')} does not exist\n`,
    );
  });

  it('serve with a scheduled digest to a channel that may not see every namespace: exit 2, names both', () => {
    const config = join(dir, 'narrow-digest.yaml');
    writeFileSync(
      config,
      'access:\n  channels:\n    C0SHOP: [shop]\ndigests:\n  - {channel: C0SHOP, cron: "0 9 * * *"}\n',
    );
    const { code, stderr } = cli(['serve', '-f', join(ROOT, 'examples/mesh'), '--config', config]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      'mtls-doctor: invalid configuration:\n  - digests.0.channel: the digest shows every namespace, but channel C0SHOP may only see shop, not every namespace: give it "*" under access.channels\n',
    );
  });

  it('digest --state on a file that is not a database: exit 2, names --state', () => {
    const state = join(dir, 'notes.txt');
    writeFileSync(state, 'these are my notes, not a SQLite database\n'.repeat(200));
    const { code, stderr } = cli(['digest', '-f', join(ROOT, 'examples/mesh'), '--state', state]);
    expect(code).toBe(2);
    expect(stderr).toBe(`mtls-doctor: --state ${state}: file is not a database\n`);
  });
});
