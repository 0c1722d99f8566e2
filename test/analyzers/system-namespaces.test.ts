// An `-A` dump holds Kubernetes' own pods (kube-system) and Istio's (istiod). The injector never
// injects kube-system, so no fix may offer to label it (or istio-system) and restart everything in it
// (cluster DNS, the control plane); but what runs there still calls services (an ingress controller
// in kube-system, as k3s installs Traefik), so it stays a caller. Istio's own agents call nothing.
import { expect, it } from 'vitest';
import { computePosture } from '../../src/digest/posture.js';
import { diagnose } from '../../src/engine/diagnose.js';
import { app, matrixOf, meshConfig, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';

const NOW = new Date('2026-11-30T00:00:00Z');

const istiod = `---
apiVersion: apps/v1
kind: Deployment
metadata: { name: istiod, namespace: istio-system }
spec:
  selector: { matchLabels: { app: istiod } }
  template:
    metadata: { labels: { app: istiod, istio: pilot, sidecar.istio.io/inject: "false" } }
    spec: { containers: [{ name: discovery }] }
`;

const yaml = [
  namespace('istio-system', 'none'),
  peerAuthentication('istio-system', 'default', 'STRICT'),
  istiod,
  // Istio's sample addons install Prometheus into istio-system: a real caller without a sidecar.
  app('istio-system', 'prometheus'),
  namespace('kube-system', 'sidecar'),
  app('kube-system', 'coredns'),
  namespace('monitoring', 'none'),
  app('monitoring', 'prometheus'),
  namespace('app'),
  app('app', 'web'),
].join('');

it('kube-system is a caller never offered injection; istiod is no caller; no fix labels kube-system or istio-system', () => {
  const diagnosis = diagnose(snapshotOf(yaml), { now: NOW });
  const strict = diagnosis.findings.find((f) => f.code === 'strict-plaintext-clients');
  expect(strict?.message).toContain('kube-system/coredns');
  expect(strict?.fix).toContain(
    "Callers in kube-system never get a sidecar (Istio's injector skips that namespace): keep the ports they call PERMISSIVE",
  );
  const said = diagnosis.findings.map((f) => `${f.code}: ${f.message}`).join('\n');
  expect(said).not.toContain('istiod');
  expect(said).toContain('monitoring/prometheus');
  expect(said).toContain('istio-system/prometheus');
  const ids = diagnosis.findings.flatMap((f) => f.remediations.map((p) => p.id));
  expect(ids).toContain('label-injection:Namespace/monitoring');
  expect(ids.filter((id) => /kube-system|istio-system/.test(id) && id.startsWith('label-injection'))).toEqual(
    [],
  );
  const missing = diagnosis.findings.filter((f) => f.code === 'sidecar-missing');
  expect(missing.map((f) => `${f.resource.namespace}/${f.resource.name}`).sort()).toEqual([
    'istio-system/prometheus',
    'monitoring/prometheus',
  ]);
  // In Istio's own namespace: inject the workload itself, not the namespace.
  const inIstio = missing.find((f) => f.resource.namespace === 'istio-system');
  expect(inIstio?.remediations).toEqual([]);
  expect(inIstio?.fix).toContain('sidecar.istio.io/inject: "true"');

  const rows = matrixOf(yaml);
  expect([...rows.keys()].some((r) => r.startsWith('istio-system/istiod'))).toBe(false);
  expect(rows.get('kube-system/coredns -> app/web:80')).toBe('fail(strict-plaintext-clients)');
  expect(rows.get('monitoring/prometheus -> app/web:80')).toBe('fail(strict-plaintext-clients)');
  expect(rows.get('app/web -> kube-system/coredns:80')).toBe('ok');

  const posture = computePosture(diagnosis.mesh, diagnosis.findings, NOW);
  expect(posture.namespaces.map((n) => n.namespace)).toEqual(['app', 'monitoring']);
});

it("Istio's labels hide a workload only in Istio's namespace; a custom root namespace leaves istio-system out of the migration", () => {
  const lookalike = app('tools', 'pilot-dashboard', { labels: { istio: 'pilot' } });
  const tools = `${yaml}${namespace('tools', 'none')}${lookalike}`;
  expect(matrixOf(tools).get('tools/pilot-dashboard -> app/web:80')).toBe('fail(strict-plaintext-clients)');

  const custom = `${yaml}${meshConfig('rootNamespace: istio-config')}${namespace('istio-config', 'none')}${peerAuthentication('istio-config', 'default', 'STRICT')}`;
  const diagnosis = diagnose(snapshotOf(custom), { now: NOW });
  const posture = computePosture(diagnosis.mesh, diagnosis.findings, NOW);
  expect(posture.namespaces.map((n) => n.namespace)).toEqual(['app', 'monitoring']);
  expect(diagnosis.findings.some((f) => f.message.includes('istiod'))).toBe(false);
});
