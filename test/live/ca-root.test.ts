// The istio-ca-root-cert ConfigMaps read from a live cluster: one finding per problem.
import { afterEach, describe, expect, it } from 'vitest';
import { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { kubeconfigFile } from '../helpers/payments-cluster.js';
import { runCli } from '../helpers/run-cli.js';

let fake: FakeKubeApi;
afterEach(async () => fake?.stop());

describe('istio-ca-root-cert', () => {
  it('a root ConfigMap that holds no readable certificate is reported once (invalid), not also as missing', async () => {
    fake = new FakeKubeApi().add(
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'cart-0', namespace: 'shop', labels: { app: 'cart' } },
        spec: { containers: [{ name: 'app' }, { name: 'istio-proxy' }] },
        status: { phase: 'Running' },
      },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'istio-ca-root-cert', namespace: 'shop' },
        data: { 'root-cert.pem': 'not a certificate' },
      },
    );
    const config = kubeconfigFile(await fake.start());
    const { stdout } = await runCli(['check', '--kubeconfig', config, '--no-istioctl', '-o', 'json'], {});
    const about = JSON.parse(stdout)
      .findings.filter((f: { resource?: { name: string } }) => f.resource?.name === 'istio-ca-root-cert')
      .map((f: { code: string }) => f.code);
    expect(about).toEqual(['certificate-invalid']);
  });
});
