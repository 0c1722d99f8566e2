// Class-level comparison and the one-diagnosis shortcut hold only when nothing that shapes client
// classes or findings changed: exportTo of services and of the mesh, copies of one object, and which
// object holds the mesh config (found by review; each failed before its fix).
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose.js';
import { diffFindings, impact } from '../../src/engine/impact.js';
import type { MeshSnapshot } from '../../src/snapshot/types.js';
import { bruteForce, pairsOf, scoped } from '../helpers/impact-compare.js';
import {
  app,
  destinationRule,
  meshConfig,
  namespace,
  peerAuthentication,
  snapshotOf,
} from '../helpers/mesh.js';

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
// shop/v1 has a sidecar, shop/v2 none; sidecar clients in web (and other).
const v1 = app('shop', 'v1');
const v2 = app('shop', 'v2', { labels: { 'sidecar.istio.io/inject': 'false' } });
const shopAndWeb =
  namespace('shop') +
  namespace('web') +
  namespace('istio-system', 'none') +
  v1 +
  app('web', 'client') +
  peerAuthentication('shop', 'default', 'STRICT');

function expectScopedAsBruteForce(beforeYaml: string, afterYaml: string): void {
  const before = snapshotOf(beforeYaml);
  const after = snapshotOf(afterYaml);
  expect(pairsOf(scoped(before, after))).toEqual(bruteForce(before, after));
}

describe('Service exportTo changes client classes', () => {
  it('exportTo restricted → open, plus selector to plaintext pods under a root ISTIO_MUTUAL rule', () => {
    const common =
      shopAndWeb +
      namespace('other') +
      v2 +
      app('other', 'client2') +
      destinationRule('istio-system', 'mtls', '*.local', 'ISTIO_MUTUAL');
    expectScopedAsBruteForce(common + svc('web', 'v1'), common + svc(undefined, 'v2'));
  });
  it('exportTo restricted → open only: no call is called repaired that never failed', () => {
    const common = shopAndWeb + namespace('other') + app('other', 'client2');
    expectScopedAsBruteForce(common + svc('web', 'v1'), common + svc(undefined, 'v1'));
  });
});
describe('mesh defaultServiceExportTo changes client classes', () => {
  it('defaultServiceExportTo [web] → unset, with auto mTLS turned off', () => {
    const common = shopAndWeb + svc(undefined, 'v1');
    expectScopedAsBruteForce(
      common + meshConfig('defaultServiceExportTo: ["web"]'),
      common + meshConfig('enableAutoMtls: false'),
    );
  });
});
/** impact() sees a change here, and opens and resolves exactly what two full diagnoses differ by. */
function expectFindingsOfFullDiagnoses(before: MeshSnapshot, after: MeshSnapshot): void {
  const now = new Date('2026-11-29T00:00:00Z');
  const r = impact(before, after, { now });
  const truth = diffFindings(diagnose(before, { now }).findings, diagnose(after, { now }).findings);
  expect(r.changed.length).toBeGreaterThan(0);
  const show = (f: { code: string; message: string }) => `${f.code}: ${f.message}`;
  expect(r.findings.opened.map(show)).toEqual(truth.opened.map(show));
  expect(r.findings.resolved.map(show)).toEqual(truth.resolved.map(show));
}

describe('a change changedObjects must see for the findings to be right', () => {
  it('duplicate object: second copy changes', () => {
    const base = namespace('shop') + app('shop', 'api') + peerAuthentication('shop', 'default', 'STRICT');
    const before = snapshotOf(base + peerAuthentication('shop', 'default', 'STRICT'));
    const after = snapshotOf(base + peerAuthentication('shop', 'default', 'DISABLE'));
    expectFindingsOfFullDiagnoses(before, after);
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
    expectFindingsOfFullDiagnoses(before, after);
  });
});
