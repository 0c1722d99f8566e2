// Class-level comparison and the one-diagnosis shortcut hold only when nothing that shapes client
// classes or findings changed: exportTo of services and of the mesh, copies of one object, and which
// object holds the mesh config (found by review; each failed before its fix).
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose.js';
import { diffFindings, impact } from '../../src/engine/impact.js';
import { buildMatrix } from '../../src/engine/matrix.js';
import { ResolvedMesh } from '../../src/mesh/resolve.js';
import type { MeshSnapshot } from '../../src/snapshot/types.js';
import {
  app,
  destinationRule,
  meshConfig,
  namespace,
  peerAuthentication,
  snapshotOf,
} from '../helpers/mesh.js';

function bruteForce(before: MeshSnapshot, after: MeshSnapshot) {
  const index = (s: MeshSnapshot) =>
    new Map(buildMatrix(new ResolvedMesh(s), undefined).pairs.map((p) => [`${p.from} -> ${p.to}`, p]));
  const old = index(before);
  const broken: string[] = [];
  const repaired: string[] = [];
  for (const [key, pair] of index(after)) {
    const was = old.get(key);
    if (!was || was.outcome === pair.outcome) continue;
    (pair.outcome === 'fail' ? broken : repaired).push(`${key} ${was.reason}→${pair.reason}`);
  }
  return { broken: broken.sort(), repaired: repaired.sort() };
}
function scoped(before: MeshSnapshot, after: MeshSnapshot) {
  const r = impact(before, after);
  const show = (l: typeof r.broken) =>
    l.map((p) => `${p.from} -> ${p.to} ${p.before.reason}→${p.reason}`).sort();
  return {
    broken: show(r.broken),
    repaired: show(r.repaired),
    changed: r.changed.map((c) => `${c.change} ${c.kind} ${c.namespace}/${c.name}`),
  };
}

const svc = (exportTo: string | undefined, selector: string) => `---
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: shop${exportTo ? `\n  annotations:\n    networking.istio.io/exportTo: "${exportTo}"` : ''}
spec:
  selector: {app: ${selector}}
  ports: [{name: http, port: 80, targetPort: 8080}]
`;
const dep = (ns: string, name: string, inject: boolean) => `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata:
      labels: {app: ${name}${inject ? '' : ', "sidecar.istio.io/inject": "false"'}}
    spec:
      containers: [{name: c, image: x, ports: [{containerPort: 8080}]}]
`;

describe('Service exportTo changes client classes', () => {
  it('exportTo restricted → open, plus selector to plaintext pods under a root ISTIO_MUTUAL rule', () => {
    const common =
      namespace('shop') +
      namespace('web') +
      namespace('other') +
      namespace('istio-system', 'none') +
      dep('shop', 'v1', true) +
      dep('shop', 'v2', false) +
      dep('web', 'client', true) +
      dep('other', 'client2', true) +
      peerAuthentication('shop', 'default', 'STRICT') +
      destinationRule('istio-system', 'mtls', '*.local', 'ISTIO_MUTUAL');
    const before = snapshotOf(common + svc('web', 'v1'));
    const after = snapshotOf(common + svc(undefined, 'v2'));
    const bf = bruteForce(before, after);
    const sc = scoped(before, after);
    expect(sc.broken).toEqual(bf.broken);
    expect(sc.repaired).toEqual(bf.repaired);
  });
  it('exportTo restricted → open only: no call is called repaired that never failed', () => {
    const common =
      namespace('shop') +
      namespace('web') +
      namespace('other') +
      namespace('istio-system', 'none') +
      dep('shop', 'v1', true) +
      dep('web', 'client', true) +
      dep('other', 'client2', true) +
      peerAuthentication('shop', 'default', 'STRICT');
    const before = snapshotOf(common + svc('web', 'v1'));
    const after = snapshotOf(common + svc(undefined, 'v1'));
    const bf = bruteForce(before, after);
    const sc = scoped(before, after);
    expect(sc.broken).toEqual(bf.broken);
    expect(sc.repaired).toEqual(bf.repaired);
  });
});
describe('mesh defaultServiceExportTo changes client classes', () => {
  it('defaultServiceExportTo [web] → unset, with auto mTLS turned off', () => {
    const common =
      namespace('shop') +
      namespace('web') +
      namespace('istio-system', 'none') +
      dep('shop', 'v1', true) +
      dep('web', 'client', true) +
      svc(undefined, 'v1') +
      peerAuthentication('shop', 'default', 'STRICT');
    const before = snapshotOf(common + meshConfig('defaultServiceExportTo: ["web"]'));
    const after = snapshotOf(common + meshConfig('enableAutoMtls: false'));
    const bf = bruteForce(before, after);
    const sc = scoped(before, after);
    expect(sc.broken).toEqual(bf.broken);
  });
});

describe('a change changedObjects must see for the findings to be right', () => {
  it('duplicate object: second copy changes', () => {
    const base = namespace('shop') + app('shop', 'api') + peerAuthentication('shop', 'default', 'STRICT');
    const before = snapshotOf(base + peerAuthentication('shop', 'default', 'STRICT'));
    const after = snapshotOf(base + peerAuthentication('shop', 'default', 'DISABLE'));
    const now = new Date('2026-11-29T00:00:00Z');
    const r = impact(before, after, { now });
    const truth = diffFindings(diagnose(before, { now }).findings, diagnose(after, { now }).findings);
    expect(r.changed.length).toBeGreaterThan(0);
    const show = (f: { code: string; message: string }) => `${f.code}: ${f.message}`;
    expect(r.findings.opened.map(show)).toEqual(truth.opened.map(show));
    expect(r.findings.resolved.map(show)).toEqual(truth.resolved.map(show));
  });
  it('meshConfig source moved (ConfigMap -> IstioOperator), autoMtls off both', () => {
    const base = namespace('shop') + app('shop', 'api');
    const before = snapshotOf(base + meshConfig('enableAutoMtls: false'));
    const after = snapshotOf(
      base +
        `---
  apiVersion: install.istio.io/v1alpha1
  kind: IstioOperator
  metadata: {name: control-plane, namespace: istio-system}
  spec:
    meshConfig: {enableAutoMtls: false}
  `,
    );
    const now = new Date('2026-11-29T00:00:00Z');
    const r = impact(before, after, { now });
    const truth = diffFindings(diagnose(before, { now }).findings, diagnose(after, { now }).findings);
    expect(r.changed.length).toBeGreaterThan(0);
    const show = (f: { code: string; message: string }) => `${f.code}: ${f.message}`;
    expect(r.findings.opened.map(show)).toEqual(truth.opened.map(show));
    expect(r.findings.resolved.map(show)).toEqual(truth.resolved.map(show));
  });
});
