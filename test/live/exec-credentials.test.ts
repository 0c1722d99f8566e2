// Exec credential plugins (kubelogin, `aws eks get-token`): their time counts towards the request
// timeout, a hanging one is stopped, a failing one is named; a working one still authenticates.
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../commands/main.js';
import { remediationApi } from '../../src/remediation/object-api.js';
import { createKubeApi, kubeConfigFromFile } from '../../src/snapshot/live/kube-api.js';
import { ClusterUnavailableError, readClusterSnapshot } from '../../src/snapshot/live/read-cluster.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { paymentsCluster } from '../helpers/payments-cluster.js';
import { runCli } from '../helpers/run-cli.js';

let fake: FakeKubeApi | undefined;
afterEach(async () => fake?.stop());

/** A kubeconfig whose user runs `script` (a shell script body) as its exec plugin. */
function execKubeconfig(server: string, script: string): { config: string; plugin: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-exec-'));
  const plugin = join(dir, 'get-token.sh');
  writeFileSync(plugin, `#!/bin/sh\n${script}\n`);
  chmodSync(plugin, 0o755);
  const config = join(dir, 'config');
  writeFileSync(
    config,
    `apiVersion: v1
kind: Config
clusters:
  - name: c
    cluster: { server: "${server}", insecure-skip-tls-verify: true }
users:
  - name: oncall
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1beta1
        command: ${plugin}
        interactiveMode: Never
contexts:
  - name: c
    context: { cluster: c, user: oncall }
current-context: c
`,
  );
  return { config, plugin, dir };
}

// The plugin writes its pid, then becomes `sleep`: the process a deadline must stop.
const HANGING = 'echo $$ > "$(dirname "$0")/pid"\nexec sleep 600';

function alive(pidFile: string): boolean {
  if (!existsSync(pidFile)) return false;
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
}

async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<unknown> {
  const late = Symbol('late');
  const result = await Promise.race([
    promise.then(
      () => 'resolved',
      (error: unknown) => error,
    ),
    new Promise((r) => setTimeout(() => r(late), ms)),
  ]);
  if (result === late) throw new Error(`still pending after ${ms} ms`);
  return result;
}

describe('exec credential plugins', () => {
  it('a hanging plugin fails the read within the request timeout, named, and is stopped', async () => {
    fake = paymentsCluster();
    const { config, plugin, dir } = execKubeconfig(await fake.start(), HANGING);
    const api = createKubeApi({ kubeConfig: kubeConfigFromFile(config), requestTimeoutMs: 300 });
    const error = await settledWithin(readClusterSnapshot(api, { attempts: 1 }), 5000);
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).toContain(
      `the exec credential plugin "${plugin}" (kubeconfig user "oncall") gave no credentials within 300 ms and was stopped`,
    );
    expect(fake.requests).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(join(dir, 'pid'))).toBe(false);
  });

  it("fix's object API gives up on a hanging plugin at its request timeout too", async () => {
    fake = paymentsCluster();
    const { config, plugin, dir } = execKubeconfig(await fake.start(), HANGING);
    const api = remediationApi({ kubeconfigPath: config, timeoutMs: 300 });
    const read = api.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'payments' } });
    const error = await settledWithin(read, 5000);
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).toContain(`the exec credential plugin "${plugin}"`);
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(join(dir, 'pid'))).toBe(false);
  });

  it('check with a hanging plugin exits 3 with one line naming it', async () => {
    fake = paymentsCluster();
    const { config, plugin } = execKubeconfig(await fake.start(), HANGING);
    const run = runCli(['check', '--no-istioctl', '--kubeconfig', config, '--request-timeout', '300']);
    await settledWithin(run, 8000);
    const { code, stderr } = await run;
    expect(code).toBe(EXIT.incomplete);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(`the exec credential plugin "${plugin}"`);
    expect(stderr).toContain('--request-timeout');
  });

  it('a failing plugin is named with the first lines of what it said', async () => {
    fake = paymentsCluster();
    const server = await fake.start();
    const { config, plugin } = execKubeconfig(
      server,
      'echo "error: failed to get token: the refresh token has expired" >&2\necho "  (run az login)" >&2\nexit 1',
    );
    const { code, stderr } = await runCli(['check', '--no-istioctl', '--kubeconfig', config]);
    expect(code).toBe(EXIT.incomplete);
    expect(stderr).toBe(
      `mtls-doctor: cannot read the cluster at ${server}: the exec credential plugin "${plugin}" (kubeconfig user "oncall") failed: error: failed to get token: the refresh token has expired (run az login)\n`,
    );
  });

  it('a working plugin authenticates every read, and runs once while its token is valid', async () => {
    fake = paymentsCluster();
    const credential = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      kind: 'ExecCredential',
      status: { token: 'from-plugin', expirationTimestamp: '2999-01-01T00:00:00Z' },
    });
    const { config, dir } = execKubeconfig(
      await fake.start(),
      `echo run >> "$(dirname "$0")/runs"\necho '${credential}'`,
    );
    const api = createKubeApi({ kubeConfig: kubeConfigFromFile(config), requestTimeoutMs: 5000 });
    const read = await readClusterSnapshot(api);
    expect(read.snapshot.gaps).toEqual([]);
    expect(fake.requests.every((r) => r.authorization === 'Bearer from-plugin')).toBe(true);
    await readClusterSnapshot(api);
    // client-node runs the plugin for each request that finds no cached token (the first, parallel
    // reads); the second read finds it cached.
    const runs = readFileSync(join(dir, 'runs'), 'utf8').trim().split('\n').length;
    expect(runs).toBeLessThanOrEqual(read.requests);
  });
});
