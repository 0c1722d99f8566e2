// Which objects a change touched: every kind that steers pairs or findings, and equality that never
// calls two different objects the same (sameContent vouches only for what canonical text would say).
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonical, changedObjects, sameContent } from '../../src/impact/changed-objects.js';
import { meshConfig, snapshotOf } from '../helpers/mesh.js';
import { runCli } from '../helpers/run-cli.js';

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

// design.md §2: `changed: [resource]`, a Kubernetes object {kind, namespace, name} as in `check`; the
// part of it that changed (a key, a webhook) is in fields of its own.
describe('each change names the Kubernetes object that holds it', () => {
  const rootCert = (pem: string) => `---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio-ca-root-cert, namespace: payments}
data:
  root-cert.pem: "${pem}"
`;
  const webhooks = (name: string) => `---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: cert-manager-webhook}
webhooks:
  - name: ${name}
    clientConfig: {service: {name: cert-manager-webhook, namespace: cert-manager}}
`;
  const changes = (before: string, after: string) =>
    changedObjects(snapshotOf(before), snapshotOf(after)).map(({ location: _where, ...c }) => c);

  it('a certificate: its ConfigMap, with the key and the certificate’s role', () => {
    expect(changes(rootCert('a'), rootCert('b'))).toEqual([
      {
        kind: 'ConfigMap',
        namespace: 'payments',
        name: 'istio-ca-root-cert',
        key: 'root-cert.pem',
        role: 'namespace-root',
        change: 'modified',
      },
    ]);
  });

  it('the mesh config: the ConfigMap (or IstioOperator) holding it; moved from one to the other, one change', () => {
    const mesh = meshConfig('enableAutoMtls: false');
    expect(changes(meshConfig('enableAutoMtls: true'), mesh)).toEqual([
      {
        kind: 'ConfigMap',
        namespace: 'istio-system',
        name: 'istio',
        key: 'mesh',
        role: 'mesh-config',
        change: 'modified',
      },
    ]);
    const operator = `---
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata: {name: control-plane, namespace: istio-system}
spec:
  meshConfig: {enableAutoMtls: false}
`;
    expect(changes(mesh, operator)).toEqual([
      {
        kind: 'IstioOperator',
        namespace: 'istio-system',
        name: 'control-plane',
        role: 'mesh-config',
        change: 'modified',
      },
    ]);
  });

  it('a webhook: its configuration, with the webhook’s name', () => {
    expect(changes(webhooks('a.example.io'), webhooks('b.example.io'))).toEqual([
      {
        kind: 'ValidatingWebhookConfiguration',
        namespace: '',
        name: 'cert-manager-webhook',
        webhook: 'b.example.io',
        change: 'added',
      },
      {
        kind: 'ValidatingWebhookConfiguration',
        namespace: '',
        name: 'cert-manager-webhook',
        webhook: 'a.example.io',
        change: 'removed',
      },
    ]);
  });

  it('diff -o json: the root certificate ConfigMap removed from the example mesh', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'mtls-doctor-changed-'));
    try {
      cpSync('examples/mesh', copy, { recursive: true });
      rmSync(join(copy, 'payments', 'istio-ca-root-cert.yaml'));
      const run = await runCli(['diff', '--base', 'examples/mesh', '-f', copy, '-o', 'json']);
      expect(JSON.parse(run.stdout).changed).toEqual([
        {
          kind: 'ConfigMap',
          namespace: 'payments',
          name: 'istio-ca-root-cert',
          key: 'root-cert.pem',
          role: 'namespace-root',
          change: 'removed',
          location: { file: 'examples/mesh/payments/istio-ca-root-cert.yaml', line: 9 },
        },
      ]);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
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
