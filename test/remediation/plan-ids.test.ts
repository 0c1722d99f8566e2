// A button carries a plan id and the bot looks the plan up by it: one id must never name two different
// plans, or a click opens a change its label did not offer. Checked on every mesh we hold.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose.js';
import { planKey } from '../../src/remediation/plan-key.js';
import type { RemediationPlan } from '../../src/remediation/plans.js';
import { PlanCache } from '../../src/slack/plan-cache.js';
import { loadManifestSnapshot } from '../../src/snapshot/load.js';
import { MEDIUM_MESH, withGeneratedMesh } from '../helpers/generated-mesh.js';
import { app, destinationRule, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';
import { callsChangedByPlans } from '../helpers/plan-effect.js';

const NOW = new Date('2026-06-01T00:00:00Z');

function manifestFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? manifestFiles(join(dir, e.name))
      : /\.(ya?ml|json)$/.test(e.name)
        ? [join(dir, e.name)]
        : [],
  );
}

/** Plans by id across one diagnosis; a second, different plan under a known id is a collision. */
function collisions(snapshot: Parameters<typeof diagnose>[0]): string[] {
  const byId = new Map<string, string>();
  const found: string[] = [];
  for (const finding of diagnose(snapshot, { now: NOW }).findings) {
    for (const plan of finding.remediations) {
      const shown = JSON.stringify(plan);
      const earlier = byId.get(plan.id);
      if (earlier !== undefined && earlier !== shown) found.push(`${plan.id}:\n  ${earlier}\n  ${shown}`);
      byId.set(plan.id, shown);
    }
  }
  return found;
}

it('no plan id names two different plans on the example mesh, every fixture and a synthetic mesh', async () => {
  const inputs = ['examples/mesh', ...manifestFiles('test/fixtures').filter((f) => !f.includes('/bad/'))];
  let checked = 0;
  for (const input of inputs) {
    const loaded = await loadManifestSnapshot([input]).catch(() => undefined);
    if (!loaded) continue;
    expect(collisions(loaded.snapshot), input).toEqual([]);
    checked++;
  }
  expect(checked).toBeGreaterThan(90);
  expect(
    await withGeneratedMesh(MEDIUM_MESH, async (dir) =>
      collisions((await loadManifestSnapshot([dir])).snapshot),
    ),
  ).toEqual([]);
});

it('the two ways to fix an external host’s ports have ids of their own', () => {
  // A ServiceEntry with an HTTP port to the server's TLS port and an HTTPS port, and the host's own
  // ISTIO_MUTUAL rule: SIMPLE for one, DISABLE for the other, both patching that rule.
  const snapshot = snapshotOf(`---
apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { istio-injection: enabled } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web }] }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: partner, namespace: shop }
spec:
  hosts: [api.partner.example]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{ number: 80, name: http, protocol: HTTP, targetPort: 443 }, { number: 443, name: https, protocol: HTTPS }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: partner, namespace: shop }
spec: { host: api.partner.example, trafficPolicy: { tls: { mode: ISTIO_MUTUAL } } }
`);
  expect(collisions(snapshot)).toEqual([]);
  const ids = diagnose(snapshot, { now: NOW }).findings.flatMap((f) => f.remediations.map((p) => p.id));
  expect(ids.filter((id) => id.includes('DestinationRule/shop/partner')).sort()).toEqual([
    'set-port-tls-disable:DestinationRule/shop/partner:443',
    'set-port-tls-simple:DestinationRule/shop/partner:80',
  ]);
});

// Two checks of shop (say before and after a StatefulSet replaced the Deployment of the same name, with
// another app label): each port exception is its own plan, and each message's button opens its own.
const legacyCallerUnderStrict = [
  namespace('shop'),
  peerAuthentication('shop', 'default', 'STRICT'),
  namespace('legacy', 'none'),
  app('legacy', 'batch'),
].join('');
const statefulSet = `---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: api, namespace: shop }
spec:
  selector: { matchLabels: { app: api-db } }
  template:
    metadata: { labels: { app: api-db } }
    spec: { containers: [{ name: db, ports: [{ containerPort: 8080 }] }] }
---
apiVersion: v1
kind: Service
metadata: { name: api-db, namespace: shop }
spec: { selector: { app: api-db }, ports: [{ name: http, port: 80, targetPort: 8080 }] }
`;

function portException(yaml: string): RemediationPlan {
  const plans = diagnose(snapshotOf(yaml), { now: NOW }).findings.flatMap((f) => f.remediations);
  const plan = plans.find((p) => p.id.startsWith('port-exception:'));
  if (!plan) throw new Error('no port exception offered');
  return plan;
}

it('a Deployment and a StatefulSet of one name get port exceptions of their own, each repairing its calls', () => {
  const withDeployment = legacyCallerUnderStrict + app('shop', 'api');
  const withStatefulSet = legacyCallerUnderStrict + statefulSet;
  const first = portException(withDeployment);
  const second = portException(withStatefulSet);
  expect(first.id).toBe('port-exception:PeerAuthentication/shop/api-port-8080:8080');
  expect(second.id).toMatch(
    /^port-exception:PeerAuthentication\/shop\/api-statefulset-[0-9a-f]{8}-port-8080:8080$/,
  );
  expect(second.target.name).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
  expect(callsChangedByPlans(withDeployment, [first])).toEqual({
    repaired: ['legacy/batch -> shop/api:80'],
    broken: [],
  });
  expect(callsChangedByPlans(withStatefulSet, [second])).toEqual({
    repaired: ['legacy/batch -> shop/api-db:80'],
    broken: [],
  });
  // Both in one mesh: still two names, and no id names two plans.
  const both = withDeployment + statefulSet;
  expect(collisions(snapshotOf(both))).toEqual([]);
  expect(
    new Set([first, second].map((p) => (p.body as { metadata: { name: string } }).metadata.name)).size,
  ).toBe(2);
});

it('a button opens the plan its message offered, even when a later check offers another under the id', () => {
  const base = legacyCallerUnderStrict + app('shop', 'api');
  const first = portException(base);
  // The same Deployment, now also labelled tier=web, and a Service that selects on both labels.
  const later = portException(
    legacyCallerUnderStrict +
      app('shop', 'api', { labels: { tier: 'web' } }).replace(
        'selector:\n    app: api',
        'selector:\n    app: api\n    tier: web',
      ),
  );
  expect(later.id).not.toBe(first.id);
  // Two plans under one id (as when the cluster changed between two checks): each key opens its own,
  // and the bare id, which names neither for sure, opens none.
  const changed = { ...first, risk: `${first.risk} (changed)` };
  const cache = new PlanCache();
  cache.remember([first]);
  expect(cache.get(first.id)).toBe(first);
  cache.remember([changed]);
  expect(cache.get(planKey(first))).toBe(first);
  expect(cache.get(planKey(changed))).toBe(changed);
  expect(planKey(first)).not.toBe(planKey(changed));
  expect(cache.get(first.id)).toBeUndefined();
});

it('two failing hosts that read alike (cart.shop-eu, cart-shop.eu) get a rule each, which together repair every call', () => {
  const yaml = [
    namespace('client'),
    app('client', 'web'),
    namespace('shop-eu', 'none'),
    app('shop-eu', 'cart'),
    namespace('eu', 'none'),
    app('eu', 'cart-shop'),
    destinationRule('istio-system', 'mtls-everywhere', '*.local', 'ISTIO_MUTUAL'),
  ].join('');
  const f = diagnose(snapshotOf(yaml), { now: NOW }).findings.find(
    (x) => x.code === 'destinationrule-tls-conflict',
  );
  const plans = f?.remediations ?? [];
  const hosts = plans.map((p) => (p.body as { spec: { host: string } }).spec.host).sort();
  expect(hosts).toEqual(['cart-shop.eu.svc.cluster.local', 'cart.shop-eu.svc.cluster.local']);
  expect(new Set(plans.map((p) => p.id)).size).toBe(2);
  expect(new Set(plans.map((p) => p.target.name)).size).toBe(2);
  expect(collisions(snapshotOf(yaml))).toEqual([]);
  expect(callsChangedByPlans(yaml, plans)).toEqual({
    repaired: ['client/web -> eu/cart-shop:80', 'client/web -> shop-eu/cart:80'],
    broken: [],
  });
});
