import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../commands/main.js';
import { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';
import { runCli } from '../helpers/run-cli.js';

let fake: FakeKubeApi;
afterEach(async () => fake?.stop());

const run = (...argv: string[]) => runCli(argv, {});

const cluster = paymentsCluster;

describe('check against a live cluster', () => {
  it('reports findings, the request count and the source; -v tells what was read', async () => {
    fake = cluster();
    const config = kubeconfigFile(await fake.start());
    const { code, stdout, stderr } = await run(
      'check',
      '--kubeconfig',
      config,
      '-n',
      'payments',
      '-o',
      'json',
      '-v',
    );
    expect(code).toBe(EXIT.findings);
    const result = JSON.parse(stdout);
    expect(result.findings.map((f: { code: string }) => f.code)).toContain('strict-plaintext-clients');
    expect(result.summary.source).toEqual({
      kind: 'cluster',
      server: expect.stringMatching(/^http:\/\/127\.0\.0\.1:/),
      requests: fake.requests.length,
    });
    expect(result.summary.source.requests).toBeLessThanOrEqual(15);
    expect(stderr).toMatch(/read cluster http:\/\/127\.0\.0\.1:\d+ with \d+ API requests/);
    expect(stderr).not.toContain('secret-token-value');
  });

  it('a forbidden list shows in every output and the verdict is never "no problems"', async () => {
    fake = new FakeKubeApi().add({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'quiet' } });
    fake.fault('/apis/security.istio.io/v1/peerauthentications', {
      status: 403,
      reason: 'Forbidden',
      message: 'forbidden',
    });
    const config = kubeconfigFile(await fake.start());
    const text = await run('check', '--kubeconfig', config);
    expect(text.code).toBe(EXIT.incomplete);
    expect(text.stdout).toContain('Could not check (1)');
    expect(text.stdout).toContain('peerauthentications.security.istio.io list (all namespaces)');
    expect(text.stdout).toContain('No problems found in what could be read, but the check is incomplete');
    expect(text.stdout).not.toContain('No mTLS problems found');
    const json = JSON.parse((await run('check', '--kubeconfig', config, '-o', 'json')).stdout);
    expect(json.summary.verdict).toBe('incomplete');
    const sarif = JSON.parse((await run('check', '--kubeconfig', config, '-o', 'sarif')).stdout);
    expect(sarif.runs[0].invocations[0].executionSuccessful).toBe(false);
  });

  it('matrix from a read missing the policies: the STRICT call reads ok, so it says incomplete and exits 3, never 0', async () => {
    fake = cluster();
    const config = kubeconfigFile(await fake.start());
    // Whole: the plaintext call to the STRICT server fails, exit 1.
    expect((await run('matrix', '--kubeconfig', config)).code).toBe(EXIT.findings);
    fake.fault('/apis/security.istio.io/v1/peerauthentications', {
      status: 403,
      reason: 'Forbidden',
      message: 'no',
    });
    const text = await run('matrix', '--kubeconfig', config);
    expect(text.code).toBe(EXIT.incomplete);
    expect(text.stdout).toContain('Could not check (1)');
    expect(text.stdout).toContain('peerauthentications.security.istio.io list (all namespaces)');
    expect(text.stdout).toMatch(/pairs: 0 failing, \d+ ok in what could be read; the matrix is incomplete/);
    const json = await run('matrix', '--kubeconfig', config, '-o', 'json');
    expect(json.code).toBe(EXIT.incomplete);
    expect(JSON.parse(json.stdout).gaps).toHaveLength(1);
  });

  it('diff --what-if from a read missing the pods: "breaks nothing in what could be read", exit 3, in every format', async () => {
    fake = cluster();
    fake.update('PeerAuthentication', 'payments', 'default', (o) => {
      Object.assign(o, { spec: { mtls: { mode: 'PERMISSIVE' } } });
    });
    const config = kubeconfigFile(await fake.start());
    const whatIf = (...more: string[]) =>
      run('diff', '--kubeconfig', config, '--what-if', 'namespace=payments mode=STRICT', ...more);
    const whole = await whatIf();
    expect(whole.code).toBe(EXIT.findings);
    expect(whole.stdout).toContain('legacy/cron-0 → payments/payments:80');

    fake.fault('/api/v1/pods', { status: 403, reason: 'Forbidden', message: 'no' });
    const text = await whatIf();
    expect(text.code).toBe(EXIT.incomplete);
    expect(text.stdout).toContain('Could not check (1)');
    expect(text.stdout).toContain('pods list (all namespaces)');
    expect(text.stdout).toContain('breaks nothing in what could be read');
    const markdown = await whatIf('-o', 'markdown');
    expect(markdown.code).toBe(EXIT.incomplete);
    expect(markdown.stdout).toContain(':warning: **Breaks nothing in what could be read**');
    expect(markdown.stdout).toContain('#### Could not check');
    const json = JSON.parse((await whatIf('-o', 'json')).stdout);
    expect(json.gaps.map((g: { source: string }) => g.source)).toEqual(['pods list (all namespaces)']);
    const sarif = JSON.parse((await whatIf('-o', 'sarif')).stdout);
    expect(sarif.runs[0].invocations[0].executionSuccessful).toBe(false);
  });

  it('an unknown namespace and an unknown context are usage errors; an unreachable cluster exits 3', async () => {
    fake = cluster();
    const config = kubeconfigFile(await fake.start());
    const unknown = await run('check', '--kubeconfig', config, '-n', 'nope');
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toContain('namespace "nope" does not appear in the cluster');
    const context = await run('check', '--kubeconfig', config, '--context', 'prod');
    expect(context.code).toBe(EXIT.usage);
    expect(context.stderr).toContain('kubeconfig has no context "prod" (contexts: loopback)');
    await fake.stop();
    const down = await run('check', '--kubeconfig', config, '--request-timeout', '300');
    expect(down.code).toBe(EXIT.incomplete);
    expect(down.stderr).toContain('cannot read the cluster at http://127.0.0.1:');
  });
});

describe('-n with the namespaces not listable', () => {
  const forbidden = (what: string) => ({
    list: true,
    status: 403,
    reason: 'Forbidden',
    message: `${what} is forbidden`,
  });

  it('a namespace not seen cannot be confirmed absent: the RBAC gap, exit 3, not "does not appear"', async () => {
    fake = cluster()
      .fault('/api/v1/namespaces', forbidden('namespaces'))
      .fault('/api/v1/pods', forbidden('pods'));
    const config = kubeconfigFile(await fake.start());
    const { code, stdout, stderr } = await run(
      'check',
      '--no-istioctl',
      '--kubeconfig',
      config,
      '-n',
      'legacy',
    );
    expect(code).toBe(EXIT.incomplete);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(
      'mtls-doctor: cannot confirm namespace "legacy": it is not in what could be read, and the namespaces could not be listed: namespaces list (all namespaces): forbidden (HTTP 403: namespaces is forbidden): the identity needs RBAC verb "list" on resource "namespaces" in API group "core"; also not read: pods list (all namespaces)',
    );
    expect(stderr).not.toContain('does not appear');
  });

  it('with the namespaces listed, an unknown one is still bad usage whatever else is missing', async () => {
    fake = cluster().fault('/api/v1/pods', forbidden('pods'));
    const config = kubeconfigFile(await fake.start());
    const { code, stderr } = await run('check', '--no-istioctl', '--kubeconfig', config, '-n', 'nope');
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain('namespace "nope" does not appear in the cluster');
  });
});
