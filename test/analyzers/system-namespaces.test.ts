// An `-A` dump holds Kubernetes' own pods (kube-system) and Istio's (istiod): the injector never
// injects them, so they are not callers to migrate, and no fix may offer to label kube-system or
// istio-system for injection and restart everything in it (cluster DNS, the control plane).
import { expect, it } from 'vitest';
import { computePosture } from '../../src/digest/posture.js';
import { diagnose } from '../../src/engine/diagnose.js';
import { app, matrixOf, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';

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

it('kube-system and istiod are no callers, and no fix labels kube-system or istio-system for injection', () => {
  const diagnosis = diagnose(snapshotOf(yaml), { now: NOW });
  const said = diagnosis.findings.map((f) => `${f.code}: ${f.message}`).join('\n');
  expect(said).not.toContain('kube-system/coredns');
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

  const rows = [...matrixOf(yaml).keys()];
  expect(rows.some((r) => r.startsWith('kube-system/') || r.startsWith('istio-system/istiod'))).toBe(false);
  expect(rows).toContain('monitoring/prometheus -> app/web:80');
  // kube-system's services are still servers: sidecar clients reach them.
  expect(matrixOf(yaml).get('app/web -> kube-system/coredns:80')).toBe('ok');

  const posture = computePosture(diagnosis.mesh, diagnosis.findings, NOW);
  expect(posture.namespaces.map((n) => n.namespace)).toEqual(['app', 'monitoring']);
});
