// authorization-requires-mtls: which callers an AuthorizationPolicy denies because their calls carry no
// peer identity, the plans that give them one, and what those plans (and the older PERMISSIVE and port
// exception plans) really repair, judged by the impact engine as `fix` and `diff` judge them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose.js';
import { buildMatrix } from '../../src/engine/matrix.js';
import { ResolvedMesh } from '../../src/mesh/resolve.js';
import { labelNamespaceForInjection, setPeerAuthenticationMode } from '../../src/remediation/plans.js';
import { findingToJson } from '../../src/render/json.js';
import type { PeerAuthentication } from '../../src/snapshot/types.js';
import {
  app,
  authorizationPolicy,
  destinationRule,
  matrixOf,
  meshConfig,
  meshOf,
  namespace,
  peerAuthentication,
  snapshotOf,
  versionedApp,
} from '../helpers/mesh.js';
import { callsChangedBy, callsChangedByPlans } from '../helpers/plan-effect.js';

const NOW = new Date('2026-11-30T00:00:00Z');
const manifest = (file: string) =>
  readFileSync(new URL(`../mesh/authorization-manifests/${file}`, import.meta.url), 'utf8');
const findingsOf = (yaml: string, code: string) =>
  diagnose(snapshotOf(yaml), { now: NOW }).findings.filter((f) => f.code === code);
const planIds = (yaml: string, code: string) =>
  findingsOf(yaml, code).flatMap((f) => f.remediations.map((p) => p.id));
const plan = (yaml: string, code: string, id: string) => {
  const found = findingsOf(yaml, code)
    .flatMap((f) => f.remediations)
    .find((p) => p.id === id);
  if (!found) throw new Error(`${code} offers no ${id}: ${planIds(yaml, code).join(', ')}`);
  return found;
};

describe('authorization-requires-mtls', () => {
  it('(A) DISABLE + ALLOW principals: names the policy, the field and the callers; PERMISSIVE gives them their identity', () => {
    const yaml = manifest('disable-with-principals.yaml');
    const [f, ...more] = findingsOf(yaml, 'authorization-requires-mtls');
    expect(more).toEqual([]);
    expect(f).toMatchObject({
      severity: 'error',
      resource: { kind: 'AuthorizationPolicy', namespace: 'bookinfo', name: 'productpage-viewer' },
      path: 'spec.rules[0].from[0].source.principals',
    });
    expect(f?.message).toContain('bookinfo/loadgen');
    expect(f?.message).toContain('bookinfo/productpage:9080');
    expect(f?.message).toContain('lets in only callers with an mTLS identity (source.principals)');
    expect(f?.message).toContain('PeerAuthentication is DISABLE');
    expect(f?.message).toContain('RBAC: access denied');
    expect(f?.why.join('\n')).toContain('namespace-wide PeerAuthentication bookinfo/default sets DISABLE');
    const id = 'set-mode-permissive:PeerAuthentication/bookinfo/default';
    expect(f?.remediations.map((p) => p.id)).toEqual([id]);
    // productpage-v1 calling itself gets its own identity, which the policy does not list: still denied.
    expect(callsChangedBy(plan(yaml, 'authorization-requires-mtls', id), yaml)).toMatchObject({
      repaired: ['bookinfo/loadgen -> bookinfo/productpage:9080'],
      broken: [],
    });
    // The JSON contract: code, severity, resource and plans.
    expect(findingToJson(f as never)).toMatchObject({
      code: 'authorization-requires-mtls',
      severity: 'error',
      resource: { kind: 'AuthorizationPolicy', namespace: 'bookinfo', name: 'productpage-viewer' },
      remediations: [{ id }],
    });
    const pair = buildMatrix(new ResolvedMesh(snapshotOf(yaml)), undefined).pairs.find(
      (p) => p.from === 'bookinfo/loadgen' && p.to === 'bookinfo/productpage:9080',
    );
    expect(pair).toMatchObject({ outcome: 'fail', reason: 'authorization-requires-mtls' });
  });

  it('(B) the STRICT finding offers no PERMISSIVE or port exception where the policy still denies plaintext, and says why', () => {
    const yaml = manifest('strict-with-namespaces.yaml');
    expect(findingsOf(yaml, 'authorization-requires-mtls')).toEqual([]);
    const [f] = findingsOf(yaml, 'strict-plaintext-clients');
    const ids = planIds(yaml, 'strict-plaintext-clients');
    expect(
      ids.filter((id) => id.startsWith('set-mode-permissive') || id.startsWith('port-exception')),
    ).toEqual([]);
    expect(f?.fix).toContain(
      'accepting plaintext (PERMISSIVE, a port exception) would not help: AuthorizationPolicy shop/',
    );
    expect(f?.fix).toContain('so the reset would become a 403');
    // What those plans would do: a PERMISSIVE namespace policy repairs nothing the policy denies.
    const permissive = setPeerAuthenticationMode(
      meshOf(yaml).snapshot.peerAuthentications.find((p) => p.meta.name === 'default') as PeerAuthentication,
      'PERMISSIVE',
    );
    expect(callsChangedBy(permissive, yaml)).toMatchObject({ repaired: [], broken: [] });
    // Without the policy, the PERMISSIVE plan is offered and does repair the call.
    const withoutPolicy = yaml.split(
      '---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy',
    )[0] as string;
    expect(
      callsChangedBy(
        plan(
          withoutPolicy,
          'strict-plaintext-clients',
          'set-mode-permissive:PeerAuthentication/shop/default',
        ),
        withoutPolicy,
      ).repaired,
    ).toEqual(['legacy/batch -> shop/cart:80']);
    // A sidecar for the caller is the fix that works.
    expect(
      callsChangedByPlans(yaml, [plan(yaml, 'strict-plaintext-clients', 'label-injection:Namespace/legacy')])
        .repaired,
    ).toEqual(['legacy/batch -> shop/cart:80']);
  });

  it('(B) under PERMISSIVE: the sidecar plan for the caller repairs the denied call', () => {
    const yaml = manifest('permissive-with-namespaces.yaml');
    const [f] = findingsOf(yaml, 'authorization-requires-mtls');
    expect(f?.path).toBe('spec.rules[0].from[0].source.namespaces');
    expect(f?.message).toContain('plaintext from clients without a sidecar');
    expect(f?.why.join('\n')).toContain('legacy/batch has no proxy');
    const label = plan(yaml, 'authorization-requires-mtls', 'label-injection:Namespace/legacy');
    expect(callsChangedByPlans(yaml, [label])).toMatchObject({
      repaired: ['legacy/batch -> shop/cart:80'],
      broken: [],
    });
  });

  const base = `${namespace('shop')}${app('shop', 'frontend')}${app('shop', 'cart')}`;
  const allowShop = authorizationPolicy(
    'shop',
    'cart-callers',
    '  selector:\n    matchLabels: {app: cart}\n  rules:\n  - from:\n    - source:\n        namespaces: [shop]',
  );

  it('a DestinationRule DISABLE: the rule set to ISTIO_MUTUAL gives the callers their identity', () => {
    const yaml = base + allowShop + destinationRule('shop', 'cart-plain', 'cart', 'DISABLE');
    expect(matrixOf(yaml).get('shop/frontend -> shop/cart:80')).toBe('fail(authorization-requires-mtls)');
    const [f] = findingsOf(yaml, 'authorization-requires-mtls');
    expect(f?.why.join('\n')).toContain('DestinationRule shop/cart-plain');
    const id = 'set-tls-istio-mutual:DestinationRule/shop/cart-plain:spec.trafficPolicy.tls';
    expect(callsChangedBy(plan(yaml, 'authorization-requires-mtls', id), yaml).repaired).toContain(
      'shop/frontend -> shop/cart:80',
    );
  });

  it('auto mTLS off: enabling it gives sidecar callers their identity', () => {
    const yaml = base + allowShop + meshConfig('enableAutoMtls: false');
    const ids = planIds(yaml, 'authorization-requires-mtls');
    expect(ids).toEqual(['enable-auto-mtls:ConfigMap/istio-system/istio']);
  });

  it("a server's own DISABLE: its policy switched to PERMISSIVE; a sidecar alone would not help plaintext clients there", () => {
    const yaml =
      base +
      allowShop.replace('namespaces: [shop]', 'namespaces: [shop, legacy]') +
      peerAuthentication('shop', 'cart-plain', 'DISABLE', { selector: { app: 'cart' } }) +
      namespace('legacy', 'none') +
      app('legacy', 'batch');
    const [f] = findingsOf(yaml, 'authorization-requires-mtls');
    expect(f?.remediations.map((p) => p.id)).toEqual([
      'set-mode-permissive:PeerAuthentication/shop/cart-plain',
    ]);
    expect(f?.fix).toContain('Make the server side receive mTLS first');
    expect(callsChangedBy(f?.remediations[0] as never, yaml).repaired).toContain(
      'shop/frontend -> shop/cart:80',
    );
  });

  it('backends each under their own DISABLE: a PERMISSIVE plan for every one, marked as a set, which repairs the calls together', () => {
    const yaml = [
      namespace('shop'),
      app('shop', 'frontend'),
      versionedApp('shop', 'cart', ['v1', 'v2']),
      peerAuthentication('shop', 'v1-off', 'DISABLE', { selector: { app: 'cart', version: 'v1' } }),
      peerAuthentication('shop', 'v2-off', 'DISABLE', { selector: { app: 'cart', version: 'v2' } }),
      allowShop,
    ].join('');
    const [f, ...others] = findingsOf(yaml, 'authorization-requires-mtls');
    expect(others).toEqual([]);
    const plans = (f?.remediations ?? []).filter((p) => p.target.kind === 'PeerAuthentication');
    expect(plans.map((p) => `${p.target.namespace}/${p.target.name}`)).toEqual([
      'shop/v1-off',
      'shop/v2-off',
    ]);
    for (const p of plans) {
      expect(p.title).toMatch(/^\([12] of 2\) .*, with the change to PeerAuthentication shop\/v[12]-off/);
      expect(callsChangedBy(p, yaml).repaired).toEqual([]);
    }
    expect(callsChangedByPlans(yaml, plans)).toMatchObject({
      repaired: [
        'shop/cart-v1 -> shop/cart:80',
        'shop/cart-v2 -> shop/cart:80',
        'shop/frontend -> shop/cart:80',
      ],
      broken: [],
    });
  });

  it('a DENY policy requiring mTLS is the finding resource, with its notPrincipals field', () => {
    const yaml =
      base +
      namespace('legacy', 'none') +
      app('legacy', 'batch') +
      authorizationPolicy(
        'istio-system',
        'require-mtls',
        '  action: DENY\n  rules:\n  - from:\n    - source:\n        notPrincipals: ["*"]',
      );
    const [f] = findingsOf(yaml, 'authorization-requires-mtls');
    expect(f).toMatchObject({
      resource: { kind: 'AuthorizationPolicy', namespace: 'istio-system', name: 'require-mtls' },
      path: 'spec.rules[0].from[0].source.notPrincipals',
    });
    expect(f?.message).toContain('denies callers without an mTLS identity (source.notPrincipals)');
    expect(f?.why.join('\n')).toContain('every workload of the mesh');
    expect(f?.remediations.map((p) => p.id)).toContain('label-injection:Namespace/legacy');
  });

  describe('strict-plaintext-clients towards an ambient server: judged by the rules ztunnel enforces', () => {
    const ambient = `${namespace('shop', 'ambient')}${app('shop', 'frontend')}${namespace('legacy', 'none')}${app('legacy', 'batch')}${app('shop', 'cart')}${peerAuthentication('shop', 'default', 'STRICT')}`;
    const permissive = 'set-mode-permissive:PeerAuthentication/shop/default';

    it('ztunnel reads no trust domain: a DENY on notTrustDomains denies nothing, so PERMISSIVE repairs the call', () => {
      const yaml =
        ambient +
        authorizationPolicy(
          'shop',
          'p',
          '  action: DENY\n  rules:\n  - from:\n    - source:\n        notTrustDomains: ["cluster.local"]',
        );
      expect(callsChangedBy(plan(yaml, 'strict-plaintext-clients', permissive), yaml).repaired).toContain(
        'legacy/batch -> shop/cart:80',
      );
      expect(findingsOf(yaml, 'strict-plaintext-clients')[0]?.fix).not.toContain('would become a 403');
    });

    it('ztunnel drops an ALLOW rule on methods: PERMISSIVE would still be denied, so it is not offered', () => {
      const yaml =
        ambient +
        authorizationPolicy(
          'shop',
          'p',
          '  rules:\n  - from:\n    - source:\n        principals: ["cluster.local/ns/shop/sa/frontend"]\n  - to:\n    - operation:\n        methods: ["GET"]',
        );
      expect(planIds(yaml, 'strict-plaintext-clients')).not.toContain(permissive);
      expect(findingsOf(yaml, 'strict-plaintext-clients')[0]?.fix).toContain('would become a 403');
    });
  });

  it('policies alone: no warning where no sidecar enforces them on plaintext (ambient, injection disabled)', () => {
    const only = (ns: string) =>
      peerAuthentication('shop', 'default', 'DISABLE') +
      authorizationPolicy(
        'shop',
        'p',
        '  rules:\n  - from:\n    - source:\n        principals: ["cluster.local/ns/shop/sa/frontend"]',
      ) +
      ns;
    expect(findingsOf(only(''), 'authorization-requires-mtls')).toHaveLength(1);
    expect(findingsOf(only(namespace('shop')), 'authorization-requires-mtls')).toHaveLength(1);
    // HBONE carries the caller's identity in ambient whatever the mode: the engine agrees with workloads.
    expect(findingsOf(only(namespace('shop', 'ambient')), 'authorization-requires-mtls')).toEqual([]);
    const withWorkloads = only(namespace('shop', 'ambient')) + app('shop', 'frontend') + app('shop', 'cart');
    expect(matrixOf(withWorkloads).get('shop/frontend -> shop/cart:80')).toBe('ok');
    const disabled = namespace('shop', 'none').replace(
      'name: shop',
      'name: shop\n  labels: {istio-injection: disabled}',
    );
    expect(findingsOf(only(disabled), 'authorization-requires-mtls')).toEqual([]);
  });

  // With mTLS the caller shows its own identity: a plan that gives it one repairs the call only where
  // the policy lets that identity in.
  describe("the caller's own identity", () => {
    const CART = 'legacy/batch -> shop/cart:80';
    const proxyless = `${base}${namespace('legacy', 'none')}${app('legacy', 'batch')}`;

    it('ALLOW namespaces [shop]: a sidecar for legacy/batch makes it legacy, still denied; no plan claims it', () => {
      const yaml = proxyless + allowShop;
      expect(matrixOf(yaml).get(CART)).toBe('fail(authorization-denied)');
      expect(findingsOf(yaml, 'authorization-requires-mtls')).toEqual([]);
      expect(callsChangedByPlans(yaml, [labelNamespaceForInjection('legacy')]).repaired).not.toContain(CART);
      // Let legacy in, and the sidecar is the fix again.
      const both = proxyless + allowShop.replace('namespaces: [shop]', 'namespaces: [shop, legacy]');
      expect(planIds(both, 'authorization-requires-mtls')).toEqual(['label-injection:Namespace/legacy']);
      expect(callsChangedByPlans(both, [labelNamespaceForInjection('legacy')]).repaired).toContain(CART);
    });

    it('a DestinationRule DISABLE towards a policy listing only another account: no ISTIO_MUTUAL plan', () => {
      const other = allowShop.replace('namespaces: [shop]', 'principals: ["cluster.local/ns/shop/sa/other"]');
      const yaml = base + other + destinationRule('shop', 'cart-plain', 'cart', 'DISABLE');
      expect(matrixOf(yaml).get('shop/frontend -> shop/cart:80')).toBe('fail(authorization-denied)');
      expect(findingsOf(yaml, 'authorization-requires-mtls')).toEqual([]);
    });

    it('STRICT + DENY namespaces [legacy]: the sidecar plan of strict-plaintext-clients repairs nothing', () => {
      const deny = authorizationPolicy(
        'shop',
        'no-legacy',
        '  action: DENY\n  rules:\n  - from:\n    - source:\n        namespaces: [legacy]',
      );
      const yaml = proxyless + peerAuthentication('shop', 'default', 'STRICT') + deny;
      expect(callsChangedByPlans(yaml, [labelNamespaceForInjection('legacy')]).repaired).not.toContain(CART);
      // So it is not offered, and the finding says why.
      const [f] = findingsOf(yaml, 'strict-plaintext-clients');
      expect(f?.remediations.map((p) => p.id)).not.toContain('label-injection:Namespace/legacy');
      expect(f?.fix).toContain('A sidecar would not let the callers in legacy in');
    });
  });
});
