// deny-bypassed-by-plaintext: a DENY rule that names callers by their mTLS identity, on a port that
// accepts plaintext, does not stop those callers when they call without mTLS (ISTIO-SECURITY-2021-004).
// Both sides of each condition: the hole, and the look-alikes that are not one.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose.js';
import {
  app,
  authorizationPolicy,
  matrixOf,
  namespace,
  peerAuthentication,
  snapshotOf,
} from '../helpers/mesh.js';
import { callsChangedBy } from '../helpers/plan-effect.js';

const NOW = new Date('2026-11-30T00:00:00Z');
const CODE = 'deny-bypassed-by-plaintext';
const findingsOf = (yaml: string) =>
  diagnose(snapshotOf(yaml), { now: NOW }).findings.filter((f) => f.code === CODE);

/** shop/cart (80 → 8080) behind a DENY policy; legacy/batch calls it, with a sidecar or without. */
function shop(
  opts: {
    mode?: string;
    rules?: string;
    legacy?: 'sidecar' | 'none';
    shopMode?: 'sidecar' | 'ambient' | 'none';
    extra?: string;
    cart?: Parameters<typeof app>[2];
  } = {},
): string {
  const rules =
    opts.rules ??
    `  rules:
    - from:
        - source:
            namespaces: ["legacy"]`;
  return [
    namespace('shop', opts.shopMode ?? 'sidecar'),
    namespace('legacy', opts.legacy ?? 'sidecar'),
    app('shop', 'cart', opts.cart),
    app('legacy', 'batch'),
    peerAuthentication('shop', 'default', opts.mode ?? 'PERMISSIVE'),
    authorizationPolicy(
      'shop',
      'deny-legacy',
      `  selector:
    matchLabels:
      app: cart
  action: DENY
${rules}`,
    ),
    opts.extra ?? '',
  ].join('');
}

describe('deny-bypassed-by-plaintext', () => {
  it('PERMISSIVE + DENY namespaces: names the policy, the field, the port and whom it meant to refuse', () => {
    const [f, ...more] = findingsOf(shop());
    expect(more).toEqual([]);
    expect(f).toMatchObject({
      severity: 'warning',
      resource: { kind: 'AuthorizationPolicy', namespace: 'shop', name: 'deny-legacy' },
      path: 'spec.rules[0].from[0].source.namespaces',
      location: { file: 'test.yaml' },
    });
    expect(f?.location?.line).toBeGreaterThan(0);
    expect(f?.message).toContain('is meant to refuse callers from namespace legacy');
    expect(f?.message).toContain('shop/cart:80 (shop/cart port 8080) accepts plaintext');
    expect(f?.message).toContain('carries no peer identity');
    expect(f?.why.join('\n')).toContain('namespace-wide PeerAuthentication shop/default sets PERMISSIVE');
    expect(f?.why.join('\n')).toContain('ISTIO-SECURITY-2021-004');
    // Every client has a sidecar: batch calls with mTLS and is refused; no one calls in plaintext.
    expect(matrixOf(shop()).get('legacy/batch -> shop/cart:80')).toBe('fail(authorization-denied)');
    expect(f?.message).not.toContain('It happens today');
    // So STRICT is safe, and offered: it breaks no call.
    const id = 'set-mode-strict:PeerAuthentication/shop/default';
    expect(f?.remediations.map((p) => p.id)).toEqual([id]);
    expect(callsChangedBy(f?.remediations[0] as never, shop())).toMatchObject({ broken: [], repaired: [] });
    expect(f?.fix).toContain('it breaks none but those the policy means to refuse');
    // The advisory's alternative, and the warning about the look-alike that has the same hole.
    expect(f?.fix).toContain('notNamespaces: ["*"]');
    expect(f?.fix).toContain('an ALLOW with notNamespaces alone lets plaintext in too');
  });

  it('the named caller without a sidecar gets through today; STRICT would reset it, so no plan, and says so', () => {
    const yaml = shop({ legacy: 'none' });
    expect(matrixOf(yaml).get('legacy/batch -> shop/cart:80')).toBe('ok');
    const [f] = findingsOf(yaml);
    expect(f?.message).toContain('It happens today: legacy/batch -> shop/cart:80 (no sidecar)');
    expect(f?.remediations).toEqual([]);
    expect(f?.fix).toContain('STRICT is not offered');
    expect(f?.fix).toContain('legacy/batch -> shop/cart:80');
    expect(f?.fix).toContain('Give those clients a sidecar');
  });

  it('DISABLE: auto mTLS sends even sidecar callers in plaintext; STRICT refuses the named caller and breaks nothing else', () => {
    const yaml = shop({ mode: 'DISABLE' });
    expect(matrixOf(yaml).get('legacy/batch -> shop/cart:80')).toBe('ok');
    const [f] = findingsOf(yaml);
    expect(f?.message).toContain("auto mTLS sends plaintext to a DISABLE namespace's services");
    const id = 'set-mode-strict:PeerAuthentication/shop/default';
    expect(f?.remediations.map((p) => p.id)).toEqual([id]);
    // The only call STRICT changes is the one the policy meant to refuse.
    const changed = callsChangedBy(f?.remediations[0] as never, yaml);
    expect(changed.broken).toEqual(['legacy/batch -> shop/cart:80']);
    expect(changed.result.broken[0]).toMatchObject({ reason: 'authorization-denied' });
    // fix and Slack count that refusal as a break: the finding says so, not "breaks nothing".
    expect(f?.fix).toContain(
      'Its impact counts the call the policy then refuses as broken (the policy working at last): fix --apply needs --accept-breaking',
    );
  });

  it('a DENY rule limited to HTTP paths on a TCP port: STRICT would refuse every call of the caller, not only those paths, so it is not offered', () => {
    // The Service port named as TCP: the sidecar builds a TCP filter chain for it.
    const tcp = (yaml: string) => yaml.replace('- name: http', '- name: tcp-app');
    const yaml = tcp(
      shop({
        mode: 'DISABLE',
        rules: `  rules:
    - from:
        - source:
            namespaces: ["legacy"]
      to:
        - operation:
            paths: ["/admin*"]`,
      }),
    );
    expect(yaml).toContain('tcp-app');
    expect(matrixOf(yaml).get('legacy/batch -> shop/cart:80')).toBe('ok');
    const [f] = findingsOf(yaml);
    expect(f?.remediations).toEqual([]);
    expect(f?.fix).toContain('STRICT is not offered');
  });

  it('principals, serviceAccounts and source.namespace conditions are identity too', () => {
    const principals = `  rules:
    - from:
        - source:
            principals: ["cluster.local/ns/legacy/sa/batch"]`;
    expect(findingsOf(shop({ rules: principals }))[0]?.path).toBe('spec.rules[0].from[0].source.principals');
    const accounts = `  rules:
    - from:
        - source:
            serviceAccounts: ["legacy/batch"]`;
    expect(findingsOf(shop({ rules: accounts }))[0]?.message).toContain(
      'meant to refuse callers from service account legacy/batch',
    );
    const when = `  rules:
    - when:
        - key: source.namespace
          values: ["legacy"]`;
    expect(findingsOf(shop({ rules: when }))[0]?.path).toBe('spec.rules[0].when[0]');
  });

  it('a workload policy decides: STRICT there, not in the namespace', () => {
    const extra = peerAuthentication('shop', 'cart-permissive', 'PERMISSIVE', { selector: { app: 'cart' } });
    const yaml = shop({ mode: 'STRICT', extra });
    const [f] = findingsOf(yaml);
    expect(f?.remediations.map((p) => p.id)).toEqual([
      'set-mode-strict:PeerAuthentication/shop/cart-permissive',
    ]);
  });

  it('a port-level exception decides: no plan, says which entry to change', () => {
    const extra = peerAuthentication('shop', 'cart-port', 'STRICT', {
      selector: { app: 'cart' },
      ports: { 8080: 'PERMISSIVE' },
    });
    const [f] = findingsOf(shop({ mode: 'STRICT', extra }));
    expect(f?.remediations).toEqual([]);
    expect(f?.fix).toContain('set port 8080 of PeerAuthentication shop/cart-port (portLevelMtls) to STRICT');
  });

  it('ambient: ztunnel accepts plaintext under PERMISSIVE and applies the rule without an identity', () => {
    const [f] = findingsOf(shop({ shopMode: 'ambient' }));
    expect(f?.why.join('\n')).toContain('is ambient and ztunnel accepts plaintext there');
    // batch's sidecar reaches the ambient pod over HBONE, with its identity: STRICT breaks nothing.
    expect(f?.remediations.map((p) => p.id)).toEqual(['set-mode-strict:PeerAuthentication/shop/default']);
    expect(callsChangedBy(f?.remediations[0] as never, shop({ shopMode: 'ambient' })).broken).toEqual([]);
    expect(findingsOf(shop({ shopMode: 'ambient', mode: 'STRICT' }))).toEqual([]);
    // An HTTP-only operation makes the rule match nothing at ztunnel (authorization.go handleRule).
    const http = `  rules:
    - from:
        - source:
            namespaces: ["legacy"]
      to:
        - operation:
            paths: ["/admin"]`;
    expect(findingsOf(shop({ shopMode: 'ambient', rules: http }))).toEqual([]);
    // A sidecar reads the path: the hole is there.
    expect(findingsOf(shop({ rules: http }))).toHaveLength(1);
  });

  it('STRICT that would reset the API server calling an admission webhook is not offered', () => {
    const webhook = `---
apiVersion: apps/v1
kind: Deployment
metadata: { name: hook, namespace: shop }
spec:
  selector: { matchLabels: { app: hook } }
  template:
    metadata: { labels: { app: hook } }
    spec: { containers: [{ name: hook, ports: [{ name: https, containerPort: 10250 }] }] }
---
apiVersion: v1
kind: Service
metadata: { name: hook, namespace: shop }
spec:
  selector: { app: hook }
  ports: [{ name: https, port: 443, targetPort: https }]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: { name: hook }
webhooks:
  - name: hook.shop.io
    clientConfig: { service: { name: hook, namespace: shop, path: /validate } }
    admissionReviewVersions: [v1]
    sideEffects: None
`;
    const [f] = findingsOf(shop({ extra: webhook }));
    expect(f?.remediations).toEqual([]);
    expect(f?.fix).toContain('the API server -> admission webhook hook.shop.io (shop/hook)');
  });

  describe('not a hole', () => {
    it('STRICT: a plaintext call never reaches the policy', () => {
      expect(findingsOf(shop({ mode: 'STRICT' }))).toEqual([]);
    });

    it('a port-level STRICT for the port', () => {
      const extra = peerAuthentication('shop', 'cart-port', undefined, {
        selector: { app: 'cart' },
        ports: { 8080: 'STRICT' },
      });
      expect(findingsOf(shop({ extra }))).toEqual([]);
    });

    it('a DENY rule without identity fields', () => {
      const rules = `  rules:
    - to:
        - operation:
            paths: ["/admin"]`;
      expect(findingsOf(shop({ rules }))).toEqual([]);
    });

    it('notNamespaces / notPrincipals in DENY: they match a call without an identity (NotId of an authenticated matcher)', () => {
      const rules = `  rules:
    - from:
        - source:
            notNamespaces: ["shop"]`;
      expect(findingsOf(shop({ rules }))).toEqual([]);
    });

    it('another rule of the policies refuses plaintext already (the "require mTLS" DENY)', () => {
      const extra = authorizationPolicy(
        'shop',
        'require-mtls',
        `  action: DENY
  rules:
    - from:
        - source:
            notPrincipals: ["*"]`,
      );
      expect(findingsOf(shop({ extra }))).toEqual([]);
    });

    it("the advisory's own fix: a second rule that denies calls without a namespace", () => {
      const rules = `  rules:
    - from:
        - source:
            namespaces: ["legacy"]
    - from:
        - source:
            notNamespaces: ["*"]`;
      expect(findingsOf(shop({ rules }))).toEqual([]);
    });

    it('an ALLOW policy that needs an identity refuses plaintext already', () => {
      const extra = authorizationPolicy(
        'shop',
        'allow-shop',
        `  action: ALLOW
  rules:
    - from:
        - source:
            namespaces: ["shop"]`,
      );
      expect(findingsOf(shop({ extra }))).toEqual([]);
    });

    it('the rule is for another port', () => {
      const rules = `  rules:
    - from:
        - source:
            namespaces: ["legacy"]
      to:
        - operation:
            ports: ["9090"]`;
      expect(findingsOf(shop({ rules }))).toEqual([]);
    });

    it('another source of the rule may match plaintext (ipBlocks): not certain', () => {
      const rules = `  rules:
    - from:
        - source:
            namespaces: ["legacy"]
        - source:
            ipBlocks: ["10.0.0.0/8"]`;
      expect(findingsOf(shop({ rules }))).toEqual([]);
    });

    it('the server has no proxy: nothing enforces the policy at all', () => {
      expect(findingsOf(shop({ shopMode: 'none' }))).toEqual([]);
    });

    it('the port bypasses the sidecar (excludeInboundPorts)', () => {
      const cart = { annotations: { 'traffic.sidecar.istio.io/excludeInboundPorts': '8080' } };
      expect(findingsOf(shop({ cart }))).toEqual([]);
    });

    it('a dry-run policy enforces nothing', () => {
      const yaml = shop().replace(
        'name: deny-legacy\n  namespace: shop',
        'name: deny-legacy\n  namespace: shop\n  annotations:\n    istio.io/dry-run: "true"',
      );
      expect(yaml).toContain('istio.io/dry-run');
      expect(findingsOf(yaml)).toEqual([]);
    });
  });
});

describe('deny-bypassed-by-plaintext on a mesh with many such policies', () => {
  it('judges STRICT for at most 16 scopes in all (each resolves the mesh again); the rest say so', () => {
    const yaml = Array.from({ length: 20 }, (_, i) =>
      shop()
        .replaceAll('namespace: shop', `namespace: shop${i}`)
        .replaceAll('name: shop\n', `name: shop${i}\n`),
    ).join('');
    const findings = findingsOf(yaml);
    expect(findings).toHaveLength(20);
    const judged = findings.filter((f) => f.remediations.length > 0);
    expect(judged).toHaveLength(16);
    for (const f of findings.filter((x) => x.remediations.length === 0))
      expect(f.fix).toContain('is not judged here');
  });
});
