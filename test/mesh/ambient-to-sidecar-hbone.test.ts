// An ambient client calling a sidecar server: ztunnel sends HBONE only to a sidecar that advertises it
// (label networking.istio.io/tunnel=http), which the injector adds when the proxy config sets
// ISTIO_META_ENABLE_HBONE "true" (injection-template.yaml) — the ambient profile sets it mesh-wide.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose.js';
import { app, matrixOf, meshConfig, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';

const HBONE_ON = meshConfig('defaultConfig:\n  proxyMetadata:\n    ISTIO_META_ENABLE_HBONE: "true"');
const base = (server = app('sc', 'web')) =>
  namespace('amb', 'ambient') +
  app('amb', 'client') +
  namespace('sc') +
  server +
  peerAuthentication('istio-system', 'default', 'STRICT');
const call = (yaml: string) => matrixOf(yaml).get('amb/client -> sc/web:80');

describe('ambient client to a sidecar server', () => {
  it('the mesh config that enables HBONE for injected sidecars lets ztunnel reach them', () => {
    expect(call(base())).toBe('fail(strict-plaintext-clients)');
    expect(call(base() + HBONE_ON)).toBe('ok');
  });

  it("the pod's own proxy config, or a tunnel label it sets, wins over the mesh's", () => {
    const off = app('sc', 'web', {
      annotations: { 'proxy.istio.io/config': '{proxyMetadata: {ISTIO_META_ENABLE_HBONE: \\"false\\"}}' },
    });
    expect(call(base(off) + HBONE_ON)).toBe('fail(strict-plaintext-clients)');
    const on = app('sc', 'web', {
      annotations: { 'proxy.istio.io/config': '{proxyMetadata: {ISTIO_META_ENABLE_HBONE: \\"true\\"}}' },
    });
    expect(call(base(on))).toBe('ok');
    const labelled = app('sc', 'web', { labels: { 'networking.istio.io/tunnel': 'none' } });
    expect(call(base(labelled) + HBONE_ON)).toBe('fail(strict-plaintext-clients)');
  });

  it('a running pod is judged by its labels: injected before HBONE was enabled, it has no tunnel', () => {
    const pod = `---
apiVersion: v1
kind: Pod
metadata:
  name: web-abc-xyz
  namespace: sc
  labels:
    app: web
    pod-template-hash: abc
    security.istio.io/tlsMode: istio
  ownerReferences:
    - kind: ReplicaSet
      name: web-abc
spec:
  containers:
    - name: web
      image: example/web
      ports:
        - containerPort: 8080
    - name: istio-proxy
      image: proxyv2
status:
  phase: Running
`;
    expect(call(base() + pod + HBONE_ON)).toBe('fail(strict-plaintext-clients)');
  });

  it('explains the failure as a sidecar without HBONE, not as a client without a proxy', () => {
    const [f] = diagnose(snapshotOf(base())).findings.filter((x) => x.code === 'strict-plaintext-clients');
    expect(f?.message).toMatch(
      /^Ambient clients \(amb\/client\) cannot reach sc\/web:80: the server's sidecar does not accept HBONE/,
    );
    const why = f?.why.join('\n') ?? '';
    expect(why).toContain('amb/client is in ambient');
    expect(why).not.toContain('has no proxy');
    expect(f?.fix).toContain('ISTIO_META_ENABLE_HBONE');
    expect(f?.fix).not.toContain('enrol them in ambient');
    // The ambient namespace is not offered a sidecar injection: its callers already have a proxy.
    expect(f?.remediations.some((p) => p.id.startsWith('label-injection'))).toBe(false);
  });
});
