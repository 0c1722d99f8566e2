// A small live cluster for the tests that talk to a loopback Kubernetes API: a STRICT `payments`
// namespace with a sidecar workload and Service, and a `legacy` namespace whose pod has no sidecar.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeKubeApi } from './fake-kube-api.js';

export function paymentsCluster(): FakeKubeApi {
  return new FakeKubeApi().add(
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'payments', labels: { 'istio-injection': 'enabled' } },
    },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'legacy' } },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'payments-0',
        namespace: 'payments',
        // The injector labels every injected pod so (injection-template.yaml); istiod keys auto mTLS on it.
        labels: { app: 'payments', 'security.istio.io/tlsMode': 'istio' },
      },
      spec: { containers: [{ name: 'app', ports: [{ containerPort: 8080 }] }, { name: 'istio-proxy' }] },
      status: { phase: 'Running' },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'cron-0', namespace: 'legacy', labels: { app: 'cron' } },
      spec: { containers: [{ name: 'app' }] },
      status: { phase: 'Running' },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'payments', namespace: 'payments' },
      spec: { selector: { app: 'payments' }, ports: [{ port: 80, targetPort: 8080 }] },
    },
    {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'default', namespace: 'payments', resourceVersion: '7' },
      spec: { mtls: { mode: 'STRICT' } },
    },
  );
}

/** A kubeconfig file pointing at the loopback API with a bearer token; returns its path. */
export function kubeconfigFile(server: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'mtls-doctor-kube-')), 'config');
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
  - name: loopback
    cluster: { server: "${server}", insecure-skip-tls-verify: true }
users:
  - name: tester
    user: { token: secret-token-value }
contexts:
  - name: loopback
    context: { cluster: loopback, user: tester }
current-context: loopback
`,
  );
  return file;
}
