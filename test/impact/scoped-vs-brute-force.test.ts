// impact() compares outcomes only where the changed objects can reach; this proves the scoping loses
// nothing: on small meshes, several kinds of change give exactly the pairs a whole-matrix comparison gives
// (broken, repaired, and the new pairs that fail from the start).
import { describe, expect, it } from 'vitest';
import { impact } from '../../src/engine/impact.js';
import { countPairs } from '../../src/engine/matrix.js';
import { ResolvedMesh } from '../../src/mesh/resolve.js';
import { bruteForce, pairsOf, scoped } from '../helpers/impact-compare.js';
import {
  app,
  destinationRule,
  meshConfig,
  namespace,
  peerAuthentication,
  snapshotOf,
} from '../helpers/mesh.js';

// Three injected namespaces, a legacy one without sidecars, an ambient one; a headless service; a
// selector rule; an internal ServiceEntry backed by workloads.
const BASE: Record<string, string> = {
  nsShop: namespace('shop'),
  nsPay: namespace('pay'),
  nsOps: namespace('ops'),
  nsLegacy: namespace('legacy', 'none'),
  nsAmb: namespace('amb', 'ambient'),
  root: namespace('istio-system', 'none'),
  orders: app('shop', 'orders', { port: 8080, targetPort: 8080 }),
  cart: app('shop', 'cart'),
  ledger: app('pay', 'ledger', { port: 9000, targetPort: 9000 }),
  gateway: app('pay', 'gateway', { headless: true }),
  monitor: app('ops', 'monitor'),
  // A second port on ops/monitor: every port of a target is compared, not only the first.
  monitorMetrics: `---
apiVersion: v1
kind: Service
metadata: {name: monitor-all, namespace: ops}
spec:
  selector: {app: monitor}
  ports: [{name: http, port: 80, targetPort: 8080}, {name: http-metrics, port: 9090, targetPort: 9090}]
`,
  batch: app('legacy', 'batch'),
  report: app('legacy', 'report'),
  zt: app('amb', 'zt'),
  payPa: peerAuthentication('pay', 'default', 'PERMISSIVE'),
  opsPa: peerAuthentication('ops', 'default', 'STRICT'),
  internalSe: `---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: vm-db, namespace: pay}
spec:
  hosts: [db.pay.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 5432, name: tcp, protocol: TCP}]
  workloadSelector: {labels: {app: ledger}}
`,
  opsSelectorDr: destinationRule(
    'ops',
    'monitor-only',
    'cart.shop.svc.cluster.local',
    'DISABLE',
    '\n  workloadSelector:\n    matchLabels:\n      app: monitor',
  ),
  // Subset `plain` of ops/monitor turns TLS off: only calls a VirtualService routes there use it.
  opsSubsetDr: `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: monitor-subsets, namespace: ops}
spec:
  host: monitor
  subsets:
  - name: plain
    labels: {app: monitor}
    trafficPolicy: {tls: {mode: DISABLE}}
`,
};

/** A VirtualService in `ns` sending the calls to ops/monitor to subset `plain`. */
function monitorRoute(ns: string, exportTo = '"*"'): string {
  return `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: monitor-plain, namespace: ${ns}}
spec:
  hosts: [monitor.ops.svc.cluster.local]
  exportTo: [${exportTo}]
  http:
  - route:
    - destination: {host: monitor.ops.svc.cluster.local, subset: plain}
`;
}

/** A REGISTRY_ONLY Sidecar in `ns` whose clients see only their own namespace's services. */
function ownNamespaceOnly(ns: string, selector = ''): string {
  return `---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: own-only, namespace: ${ns}}
spec:${selector}
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
  egress:
  - hosts: ["./*"]
`;
}

const snap = (docs: Record<string, string>) => snapshotOf(Object.values(docs).join(''));

const CHANGES: Record<string, Record<string, string | undefined>> = {
  'namespace STRICT': { shopPa: peerAuthentication('shop', 'default', 'STRICT') },
  'namespace DISABLE under a STRICT workload': {
    payPa: peerAuthentication('pay', 'default', 'DISABLE'),
    ledgerPa: peerAuthentication('pay', 'ledger', 'STRICT', { selector: { app: 'ledger' } }),
  },
  'mesh-wide STRICT': { meshPa: peerAuthentication('istio-system', 'default', 'STRICT') },
  'workload port exception': {
    shopPa: peerAuthentication('shop', 'default', 'STRICT'),
    ordersPa: peerAuthentication('shop', 'orders', 'STRICT', {
      selector: { app: 'orders' },
      ports: { 8080: 'PERMISSIVE' },
    }),
  },
  'client-namespace DestinationRule DISABLE': {
    payDr: destinationRule('pay', 'monitor-plain', 'monitor.ops.svc.cluster.local', 'DISABLE'),
  },
  'service-namespace wildcard DestinationRule': {
    shopDr: destinationRule('shop', 'all-simple', '*.shop.svc.cluster.local', 'SIMPLE'),
  },
  'root DestinationRule ISTIO_MUTUAL': {
    rootDr: destinationRule('istio-system', 'mesh-mtls', '*.local', 'ISTIO_MUTUAL'),
  },
  'selector rule removed': {
    opsSelectorDr: undefined,
    shopPa: peerAuthentication('shop', 'default', 'STRICT'),
  },
  'legacy namespace injected': {
    nsLegacy: namespace('legacy'),
    shopPa: peerAuthentication('shop', 'default', 'STRICT'),
  },
  'workload gets a sidecar by annotation': {
    batch: app('legacy', 'batch', { labels: { 'sidecar.istio.io/inject': 'true' } }),
  },
  'service target port moved': {
    ledger: app('pay', 'ledger', { port: 9000, targetPort: 9001 }),
    payPa: peerAuthentication('pay', 'default', 'STRICT', {}),
  },
  'namespace relaxed while a DestinationRule changes (clients judged one by one, every port)': {
    opsPa: peerAuthentication('ops', 'default', 'PERMISSIVE'),
    opsDr: destinationRule('ops', 'monitor-mtls', 'monitor-all.ops.svc.cluster.local', 'ISTIO_MUTUAL'),
  },
  'auto mTLS off': { mesh: meshConfig('enableAutoMtls: false\nrootNamespace: istio-system') },
  // Sidecars and VirtualServices decide which services a client sees and which subset it reaches.
  'client-namespace Sidecar REGISTRY_ONLY': { shopSidecar: ownNamespaceOnly('shop') },
  'Sidecar with a workload selector': {
    ledgerSidecar: ownNamespaceOnly('pay', '\n  workloadSelector: {labels: {app: ledger}}'),
  },
  'root-namespace Sidecar (every namespace’s default)': { rootSidecar: ownNamespaceOnly('istio-system') },
  'VirtualService routes to a subset without mTLS': { monitorVs: monitorRoute('ops') },
  'a VirtualService private to one client namespace': { shopVs: monitorRoute('shop', '"."') },
  // New pairs: a client without a sidecar calling STRICT ops, a STRICT service legacy cannot call.
  'plaintext client added': { cron: app('legacy', 'cron') },
  'service added in a STRICT namespace': { probe: app('ops', 'probe') },
  'ServiceEntry removed, DR on its host added': {
    internalSe: undefined,
    dbDr: destinationRule('pay', 'db', 'db.pay.internal', 'DISABLE'),
    payPa: peerAuthentication('pay', 'default', 'STRICT'),
  },
};

function apply(base: Record<string, string>, change: Record<string, string | undefined>) {
  const docs = { ...base };
  for (const [key, value] of Object.entries(change)) {
    if (value === undefined) delete docs[key];
    else docs[key] = value;
  }
  return docs;
}

describe('scoped impact equals a whole-matrix comparison', () => {
  for (const [name, change] of Object.entries(CHANGES)) {
    it(`${name}: forward and back`, () => {
      const before = snap(BASE);
      const after = snap(apply(BASE, change));
      const expected = bruteForce(before, after);
      const actual = scoped(before, after);
      expect(pairsOf(actual)).toEqual(expected);
      // The reverse change swaps broken and repaired; the pairs it removes fail no new call.
      const back = scoped(after, before);
      expect({ broken: back.repaired.map(flip), repaired: back.broken.map(flip) }).toEqual({
        broken: expected.broken,
        repaired: expected.repaired,
      });
      expect(back.newFailing).toEqual(bruteForce(after, before).newFailing);
      const found = expected.broken.length + expected.repaired.length + expected.newFailing.length;
      expect(found).toBeGreaterThan(0);
    });
  }

  it('combined changes (two at once, chained)', () => {
    const names = Object.keys(CHANGES);
    for (let i = 0; i < names.length; i++) {
      const first = CHANGES[names[i] as string] ?? {};
      const second = CHANGES[names[(i * 5 + 3) % names.length] as string] ?? {};
      const before = snap(apply(BASE, first));
      const after = snap(apply(apply(BASE, first), second));
      expect(pairsOf(scoped(before, after))).toEqual(bruteForce(before, after));
    }
  });

  it('a one-namespace change compares only that namespace’s targets', () => {
    const before = snap(BASE);
    const after = snap(apply(BASE, CHANGES['namespace STRICT'] ?? {}));
    const total = countPairs(new ResolvedMesh(after), undefined);
    const shopPairs = countPairs(new ResolvedMesh(after), 'shop');
    expect(scoped(before, after).compared).toBe(shopPairs);
    expect(shopPairs).toBeLessThan(total / 2);
  });

  it('nothing changed: nothing compared', () => {
    const result = impact(snap(BASE), snap(BASE));
    expect(result.changed).toEqual([]);
    expect(result.pairsCompared).toBe(0);
    expect(result.findings).toEqual({ opened: [], resolved: [], reworded: [] });
  });

  it('a mesh-wide change that also changes clients, beyond the pair limit, says so instead of enumerating', () => {
    const before = snap(BASE);
    const after = snap(
      apply(apply(BASE, CHANGES['auto mTLS off'] ?? {}), CHANGES['root DestinationRule ISTIO_MUTUAL'] ?? {}),
    );
    const total = countPairs(new ResolvedMesh(after), undefined);
    const result = impact(before, after, { maxPairs: 10 });
    expect(result.tooBroad?.pairs).toBe(total);
    expect(result.tooBroad?.message).toBe(
      `too broad to enumerate: the change (ConfigMap istio-system/istio key mesh) can affect ${total} pairs (limit 10)`,
    );
    expect(result.broken).toEqual([]);
  });

  it('a mesh-wide policy change is judged one client class at a time: all counted, lists stop at the limit', () => {
    const before = snap(BASE);
    const after = snap(apply(BASE, CHANGES['mesh-wide STRICT'] ?? {}));
    const expected = bruteForce(before, after);
    const result = impact(before, after, { maxPairs: 2 });
    expect(result.tooBroad).toBeUndefined();
    expect(result.counts).toEqual({
      broken: expected.broken.length,
      repaired: expected.repaired.length,
      newFailing: 0,
    });
    expect(expected.broken.length).toBeGreaterThan(2);
    expect(result.broken).toHaveLength(2);
    for (const p of result.broken)
      expect(expected.broken).toContain(`${p.from} -> ${p.to} ${p.before.reason}→${p.reason}`);
  });
});

function flip(line: string): string {
  return line.replace(/ (\S+)→(\S+)$/, (_m, a: string, b: string) => ` ${b}→${a}`);
}
