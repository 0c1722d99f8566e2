// An AuthorizationPolicy added, changed or removed changes which calls without mTLS are denied: `diff`
// and the impact of a plan must see it, comparing exactly the pairs a whole-matrix comparison finds.
import { describe, expect, it } from 'vitest';
import { impact } from '../../src/engine/impact.js';
import { bruteForce, pairsOf, scoped } from '../helpers/impact-compare.js';
import { app, authorizationPolicy, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';

const BASE = [
  namespace('istio-system', 'none'),
  namespace('shop'),
  namespace('pay'),
  namespace('legacy', 'none'),
  namespace('amb', 'ambient'),
  app('shop', 'cart'),
  app('shop', 'orders'),
  app('pay', 'ledger', { port: 9000, targetPort: 9000 }),
  app('legacy', 'batch'),
  app('amb', 'zt'),
  peerAuthentication('pay', 'default', 'DISABLE'),
].join('');

const requireMtls = '  action: DENY\n  rules:\n  - from:\n    - source:\n        notPrincipals: ["*"]';
const CHANGES: Record<string, string> = {
  'an ALLOW policy on namespaces for one workload': authorizationPolicy(
    'shop',
    'cart-callers',
    '  selector:\n    matchLabels: {app: cart}\n  rules:\n  - from:\n    - source:\n        namespaces: [shop]',
  ),
  'a namespace-wide ALLOW policy under DISABLE': authorizationPolicy(
    'pay',
    'ledger-callers',
    '  rules:\n  - from:\n    - source:\n        principals: ["*"]',
  ),
  'the mesh-wide "require mTLS" DENY in the root namespace': authorizationPolicy(
    'istio-system',
    'require-mtls',
    requireMtls,
  ),
  'an ambient namespace DENY on one port': authorizationPolicy(
    'amb',
    'require-mtls',
    `${requireMtls}\n    to:\n    - operation:\n        ports: ["8080"]`,
  ),
};

describe('the impact of AuthorizationPolicies', () => {
  for (const [name, policy] of Object.entries(CHANGES)) {
    it(`${name}: added and removed, as the whole matrix says`, () => {
      const before = snapshotOf(BASE);
      const after = snapshotOf(BASE + policy);
      const expected = bruteForce(before, after);
      expect(expected.broken.length).toBeGreaterThan(0);
      const actual = scoped(before, after);
      expect(pairsOf(actual)).toEqual(expected);
      expect(pairsOf(scoped(after, before))).toEqual(bruteForce(after, before));
    });
  }

  it('names the policy among the changed objects, and the calls it breaks', () => {
    const result = impact(
      snapshotOf(BASE),
      snapshotOf(BASE + CHANGES['an ALLOW policy on namespaces for one workload']),
    );
    expect(result.changed).toEqual([
      expect.objectContaining({
        kind: 'AuthorizationPolicy',
        namespace: 'shop',
        name: 'cart-callers',
        change: 'added',
      }),
    ]);
    // The ambient client too: ztunnel sends plaintext to a sidecar that does not accept HBONE. And the
    // sidecar client in pay: it calls with mTLS, but its identity's namespace is not shop.
    expect(result.broken.map((p) => `${p.from} -> ${p.to} ${p.reason}`)).toEqual([
      'amb/zt -> shop/cart:80 authorization-denied',
      'legacy/batch -> shop/cart:80 authorization-denied',
      'pay/ledger -> shop/cart:80 authorization-denied',
    ]);
  });
});
