// The istio-ca-root-cert ConfigMaps read from a live cluster: one finding per problem.
import { afterEach, describe, expect, it } from 'vitest';
import { daysFrom, issueCertificate } from '../helpers/certs.js';
import { fakeIstioctl, secretDump } from '../helpers/fake-istioctl.js';
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

  it("without the CA Secret, a plug-in CA's intermediate about to expire is found in the proxies' chains, once", async () => {
    const now = new Date();
    const root = issueCertificate({
      commonName: 'root',
      isCa: true,
      notBefore: daysFrom(now, -100),
      notAfter: daysFrom(now, 3000),
    });
    const intermediate = issueCertificate({
      commonName: 'intermediate',
      isCa: true,
      issuer: root,
      notBefore: daysFrom(now, -100),
      notAfter: daysFrom(now, 3),
    });
    const chain = (sa: string) =>
      issueCertificate({
        commonName: '',
        issuer: intermediate,
        spiffeId: `spiffe://cluster.local/ns/shop/sa/${sa}`,
        notBefore: daysFrom(now, -0.1),
        notAfter: daysFrom(now, 0.9),
      }).pem +
      intermediate.pem +
      root.pem;
    const pod = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'shop', labels: { app: name } },
      spec: { serviceAccountName: name, containers: [{ name: 'app' }, { name: 'istio-proxy' }] },
      status: { phase: 'Running' },
    });
    fake = new FakeKubeApi().add(
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } },
      },
      pod('cart'),
      pod('web'),
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'istio-ca-root-cert', namespace: 'shop' },
        data: { 'root-cert.pem': root.pem },
      },
    );
    const istioctl = fakeIstioctl({
      mode: 'answer',
      secrets: {
        'cart.shop': secretDump(chain('cart'), root.pem),
        'web.shop': secretDump(chain('web'), root.pem),
      },
    });
    const config = kubeconfigFile(await fake.start());
    const { stdout } = await runCli(
      ['certs', '--kubeconfig', config, '-n', 'shop', '--istioctl', istioctl.path, '-o', 'json'],
      {},
    );
    expect(fake.requests.some((r) => r.path.includes('/secrets'))).toBe(false);
    const expiring = JSON.parse(stdout).findings.filter(
      (f: { code: string }) => f.code === 'certificate-expiring',
    );
    expect(expiring).toHaveLength(1);
    expect(expiring[0].message).toMatch(
      /^The CA chain sent by pod shop\/(cart|web): certificate "CN=intermediate/,
    );
  });
});
