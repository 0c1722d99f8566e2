// AuthorizationPolicies read from manifests: what the snapshot keeps of them, and the gap naming the
// policies bound to gateways and waypoints, which the analysis does not judge.
import { describe, expect, it } from 'vitest';
import { snapshotOf } from '../helpers/mesh.js';

const policy = (name: string, spec: string, ns = 'shop', apiVersion = 'security.istio.io/v1') =>
  `---\napiVersion: ${apiVersion}\nkind: AuthorizationPolicy\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n${spec}\n`;

describe('AuthorizationPolicy in the snapshot', () => {
  it('keeps selector, action and rules of v1 and v1beta1 policies; empty lists and null rules count as unset', () => {
    const s = snapshotOf(
      policy(
        'cart-callers',
        `  selector:\n    matchLabels: {app: cart}\n  rules:\n  - from:\n    - source:\n        namespaces: [shop, legacy]\n        notPrincipals: []\n    to:\n    - operation:\n        ports: [8080]\n    when:\n    - key: source.principal\n      notValues: ["*"]\n  - null`,
      ) + policy('deny-plain', '  action: DENY\n  rules:\n  - {}', 'shop', 'security.istio.io/v1beta1'),
    );
    expect(s.authorizationPolicies).toEqual([
      expect.objectContaining({
        meta: expect.objectContaining({ name: 'cart-callers', namespace: 'shop' }),
        selector: { app: 'cart' },
        targetRefs: [],
        action: 'ALLOW',
        rules: [
          {
            from: [{ namespaces: ['shop', 'legacy'] }],
            to: [{ ports: ['8080'] }],
            when: [{ key: 'source.principal', notValues: ['*'] }],
          },
        ],
      }),
      expect.objectContaining({ action: 'DENY', rules: [{}], selector: undefined }),
    ]);
    expect(s.gaps).toEqual([]);
  });

  it('says which policies bind to gateways or waypoints: they are not checked', () => {
    const s = snapshotOf(
      policy(
        'waypoint-viewers',
        '  targetRefs:\n  - kind: Gateway\n    group: gateway.networking.k8s.io\n    name: waypoint\n  rules:\n  - from:\n    - source:\n        principals: ["*"]',
      ),
    );
    expect(s.authorizationPolicies?.[0]?.targetRefs).toEqual([{ kind: 'Gateway', name: 'waypoint' }]);
    expect(s.gaps).toEqual([
      expect.objectContaining({
        source: 'AuthorizationPolicy on gateways and waypoints',
        optional: true,
        reason: expect.stringContaining('shop/waypoint-viewers binds to a gateway or waypoint'),
      }),
    ]);
  });
});
