// Which objects a change touched: every kind that steers pairs or findings, and equality that never
// calls two different objects the same (sameContent vouches only for what canonical text would say).
import { describe, expect, it } from 'vitest';
import { canonical, changedObjects, sameContent } from '../../src/impact/changed-objects.js';
import { snapshotOf } from '../helpers/mesh.js';

const EXAMPLE = `---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: cart, namespace: shop}
spec:
  hosts: [cart]
  http: [{route: [{destination: {host: cart, subset: v1}}]}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: shop}
spec:
  egress: [{hosts: ["./*"]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: waypoint, namespace: shop}
spec:
  gatewayClassName: istio-waypoint
  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
`;

describe('changedObjects', () => {
  it('the same objects written elsewhere (other file, other lines) changed nothing', () => {
    const moved = snapshotOf(`# a comment that moves every line\n\n${EXAMPLE}`);
    expect(changedObjects(snapshotOf(EXAMPLE), moved)).toEqual([]);
  });

  it('Sidecars, VirtualServices and Gateways are objects of the change too', () => {
    const before = snapshotOf(EXAMPLE);
    const after = snapshotOf(
      EXAMPLE.replace('subset: v1', 'subset: v2')
        .replace('hosts: ["./*"]', 'hosts: ["./*", "istio-system/*"]')
        .replace('name: waypoint', 'name: waypoint-2'),
    );
    expect(changedObjects(before, after).map((c) => `${c.change} ${c.kind} ${c.name}`)).toEqual([
      'removed Gateway waypoint',
      'added Gateway waypoint-2',
      'modified Sidecar default',
      'modified VirtualService cart',
    ]);
  });
});

describe('sameContent', () => {
  const pairs: [string, unknown, unknown][] = [
    ['equal objects, keys in another order', { a: 1, b: [1, 'x'] }, { b: [1, 'x'], a: 1 }],
    ['where it was written is not content', { a: 1, source: { line: 1 } }, { a: 1, source: { line: 9 } }],
    ['a resourceVersion is not content', { a: 1, resourceVersion: '1' }, { a: 1 }],
    ['a creationTimestamp is not content', { a: 1, creationTimestamp: '2023-01-01T00:00:00Z' }, { a: 1 }],
    ['an undefined value is no key', { a: 1, b: undefined }, { a: 1 }],
    ['a different value', { a: 1 }, { a: 2 }],
    ['a key more', { a: 1 }, { a: 1, b: 2 }],
    ['a string is not a number', { a: '1' }, { a: 1 }],
    ['an array is not an object', { a: [] }, { a: {} }],
    ['arrays differ in order', [1, 2], [2, 1]],
    ['an undefined array element is null to JSON', [undefined], [null]],
    ['NaN is null to JSON', { a: Number.NaN }, { a: null }],
    ['equal Maps', new Map([['x', { a: 1 }]]), new Map([['x', { a: 1 }]])],
    ['Maps with other values', new Map([['x', 1]]), new Map([['x', 2]])],
    ['a Map with a number key', new Map([[1, 'a']]), new Map([['1', 'a']])],
    ['equal Dates (compared as text)', new Date(0), new Date(0)],
    ['nested difference', { a: { b: { c: [1, { d: 'x' }] } } }, { a: { b: { c: [1, { d: 'y' }] } } }],
  ];

  for (const [name, a, b] of pairs) {
    it(`${name}: true only when the canonical texts are equal`, () => {
      const equalText = canonical(a) === canonical(b);
      expect(sameContent(a, b) ? equalText : true).toBe(true);
      expect(sameContent(b, a)).toBe(sameContent(a, b));
    });
  }

  it('says yes for what it can vouch for (plain data), so the texts are rarely built', () => {
    expect(sameContent({ a: 1, b: [1, { c: 'x' }], source: 1 }, { b: [1, { c: 'x' }], a: 1 })).toBe(true);
    expect(sameContent(new Map([['x', [1]]]), new Map([['x', [1]]]))).toBe(true);
    expect(sameContent({ a: 1 }, { a: 2 })).toBe(false);
  });
});
