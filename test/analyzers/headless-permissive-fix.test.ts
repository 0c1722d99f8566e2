// A headless service whose pods are STRICT by the mesh policy: its fix makes the service's namespace
// PERMISSIVE, never the mesh policy (it offered "switch istio-system/default to PERMISSIVE", a mesh-wide
// change for one service).
import { expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose.js';
import { app, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';
import { callsChangedBy } from '../helpers/plan-effect.js';

const headless = `---
apiVersion: v1
kind: Service
metadata:
  name: db
  namespace: db
spec:
  clusterIP: None
  selector:
    svc: db
  ports:
    - name: tcp
      port: 5432
      targetPort: 8080
`;
const yaml =
  namespace('istio-system', 'none') +
  namespace('db') +
  namespace('shop') +
  app('db', 'db-a', { labels: { svc: 'db' } }) +
  app('db', 'db-b', { labels: { svc: 'db' }, annotations: { 'sidecar.istio.io/inject': 'false' } }) +
  app('shop', 'web') +
  headless +
  peerAuthentication('istio-system', 'default', 'STRICT');

it('the mesh policy decided: the fix is a PERMISSIVE policy for db, which repairs the calls and breaks none', () => {
  const finding = diagnose(snapshotOf(yaml), { now: new Date('2026-11-30T00:00:00Z') }).findings.find(
    (f) => f.code === 'headless-service-plaintext',
  );
  expect(finding).toBeDefined();
  const ids = finding?.remediations.map((p) => p.id) ?? [];
  expect(ids.some((id) => id.includes('istio-system'))).toBe(false);
  const plan = finding?.remediations.find(
    (p) => p.target.namespace === 'db' && p.target.kind === 'PeerAuthentication',
  );
  expect(plan).toBeDefined();
  const { repaired, broken } = callsChangedBy(plan as NonNullable<typeof plan>, yaml);
  expect(repaired).toContain('shop/web -> db/db:5432');
  expect(broken).toEqual([]);
});
