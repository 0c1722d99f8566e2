// An API server (or whatever answers in its place: a proxy's HTML page, a broken aggregated API) that
// answers 200 with something that is not a Kubernetes list or object: a named gap, never a TypeError;
// exit 3 when nothing at all could be read.
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../commands/main.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';
import { runCli } from '../helpers/run-cli.js';

let fake: FakeKubeApi;
afterEach(async () => fake?.stop());

const run = (...argv: string[]) => runCli(argv, {});
const HTML = '<!doctype html><html><body><h1>Sign in</h1></body></html>';

async function gapsOf(config: string, ...extra: string[]) {
  const result = await run('check', '--kubeconfig', config, '--no-istioctl', '-o', 'json', ...extra);
  return {
    ...result,
    gaps: JSON.parse(result.stdout || '{"gaps":[]}').gaps as { source: string; reason: string }[],
  };
}

describe('answers that are not Kubernetes lists', () => {
  it('every LIST answered with HTML: exit 3 with one line saying so, no stack trace', async () => {
    fake = paymentsCluster().fault('/', { body: HTML, contentType: 'text/html; charset=utf-8' });
    const config = kubeconfigFile(await fake.start());
    const { code, stdout, stderr } = await run('check', '--kubeconfig', config, '--no-istioctl');
    expect(code).toBe(EXIT.incomplete);
    expect(stdout).toBe('');
    expect(stderr).toContain('answered with text/html, not a Kubernetes list');
    expect(stderr).not.toMatch(/TypeError|\n\s+at /);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('HTML for one LIST is a gap naming that resource; the rest is still diagnosed', async () => {
    fake = paymentsCluster().fault('/api/v1/pods', { body: HTML, contentType: 'text/html' });
    const { code, gaps } = await gapsOf(kubeconfigFile(await fake.start()));
    expect(code).toBe(EXIT.incomplete);
    expect(gaps).toContainEqual({
      source: 'pods list (all namespaces)',
      reason: 'answered with text/html, not a Kubernetes list',
    });
  });

  it('JSON without items, and "items": null, are gaps too (typed and Istio lists)', async () => {
    fake = paymentsCluster()
      .fault('/api/v1/services', { body: '{"kind":"Status","status":"Success"}' })
      .fault('/apis/security.istio.io/v1/peerauthentications', {
        body: '{"apiVersion":"security.istio.io/v1","kind":"PeerAuthenticationList","items":null}',
      });
    const { code, gaps } = await gapsOf(kubeconfigFile(await fake.start()));
    // payments still has its error finding (exit 1); the gaps say what was not read.
    expect(code).toBe(EXIT.findings);
    expect(gaps).toContainEqual({
      source: 'services list (all namespaces)',
      reason: 'answered with JSON with no "items", not a Kubernetes list',
    });
    expect(gaps).toContainEqual({
      source: 'peerauthentications.security.istio.io list (all namespaces)',
      reason: 'answered with JSON with "items": null, not a Kubernetes list',
    });
  });

  it('HTML for the istio-ca-root-cert ConfigMaps and the (opted-in) CA Secret: gaps, not a manifest error', async () => {
    fake = paymentsCluster()
      .fault('/api/v1/configmaps', { body: HTML, contentType: 'text/html' })
      .fault('/api/v1/namespaces/istio-system/secrets', { body: HTML, contentType: 'text/html' });
    const { code, gaps, stderr } = await gapsOf(kubeconfigFile(await fake.start()), '--read-ca-secret');
    // payments still has its error finding (exit 1); the gaps say what was not read.
    expect(code).toBe(EXIT.findings);
    expect(stderr).toBe('');
    expect(gaps).toContainEqual({
      source: 'configmaps list (all namespaces)',
      reason: 'answered with text/html, not a Kubernetes list',
    });
    expect(gaps).toContainEqual({
      source: 'secrets get cacerts (namespace istio-system)',
      reason: 'answered with text/html, not a Kubernetes object',
    });
  });

  it('an unreachable API server is one line that names the cause once', async () => {
    fake = paymentsCluster();
    const config = kubeconfigFile(await fake.start());
    await fake.stop();
    const { code, stderr } = await run('check', '--kubeconfig', config, '--request-timeout', '300');
    expect(code).toBe(EXIT.incomplete);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr.match(/ECONNREFUSED/g)).toHaveLength(1);
    expect(stderr).toMatch(
      /^mtls-doctor: cannot read the cluster at http:\/\/127\.0\.0\.1:\d+: the API server could not be reached \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)\n$/,
    );
  });
});

describe('certs --pod', () => {
  it('a pod that does not exist is a usage error naming it', async () => {
    fake = paymentsCluster();
    const config = kubeconfigFile(await fake.start());
    const { code, stdout, stderr } = await run(
      'certs',
      '--kubeconfig',
      config,
      '-n',
      'payments',
      '--pod',
      'nosuchpod',
    );
    expect(code).toBe(EXIT.usage);
    expect(stdout).toBe('');
    expect(stderr).toBe('mtls-doctor: no pod nosuchpod in namespace payments\n');
  });

  it('when the pods could not be listed, the gap is the answer (exit 3), not "no pod"', async () => {
    fake = paymentsCluster().fault('/api/v1/pods', {
      status: 403,
      reason: 'Forbidden',
      message: 'forbidden',
    });
    const config = kubeconfigFile(await fake.start());
    const { code, stdout, stderr } = await run(
      'certs',
      '--kubeconfig',
      config,
      '-n',
      'payments',
      '--pod',
      'payments-0',
      '-o',
      'json',
    );
    expect(stderr).toBe('');
    expect(code).toBe(EXIT.incomplete);
    expect(JSON.parse(stdout).gaps.map((g: { source: string }) => g.source)).toContain(
      'pods list (all namespaces)',
    );
  });
});
