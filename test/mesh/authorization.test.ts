// AuthorizationPolicies against calls that reach the server without a peer identity (plaintext, or
// TLS the app originates through a PERMISSIVE/DISABLE server): denied only where Istio certainly
// denies them (istio/istio pilot/pkg/security/authz, ztunnel's rbac.rs), never on a guess.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ResolvedMesh } from '../../src/mesh/resolve.js';
import {
  app,
  authorizationPolicy,
  destinationRule,
  matrixOf,
  meshConfig,
  namespace,
  peerAuthentication,
  snapshotOf,
} from '../helpers/mesh.js';

const fixture = (file: string) =>
  readFileSync(new URL(`./authorization-manifests/${file}`, import.meta.url), 'utf8');

// A sidecar client in shop, a client without a proxy in legacy, and the server shop/cart (port 80 →
// container port 8080), PERMISSIVE unless told otherwise.
const base = `${namespace('shop')}${app('shop', 'frontend')}${namespace('legacy', 'none')}${app('legacy', 'batch')}${app('shop', 'cart')}`;
const outcomes = (yaml: string) => {
  const m = matrixOf(yaml);
  return {
    sidecar: m.get('shop/frontend -> shop/cart:80'),
    plaintext: m.get('legacy/batch -> shop/cart:80'),
  };
};
const DENIED = 'fail(authorization-requires-mtls)';
const requireMtls = (extra = '') =>
  `  action: DENY\n  rules:\n  - from:\n    - source:\n        notPrincipals: ["*"]${extra}`;

describe('calls without a peer identity against AuthorizationPolicies', () => {
  it('(A) namespace DISABLE + an ALLOW policy on principals: every call is denied, sidecar clients too', () => {
    const yaml = `${namespace('bookinfo')}${app('bookinfo', 'productpage', { port: 9080, targetPort: 9080 })}${app('bookinfo', 'loadgen')}${peerAuthentication('bookinfo', 'default', 'DISABLE')}${authorizationPolicy(
      'bookinfo',
      'productpage-viewer',
      '  selector:\n    matchLabels: {app: productpage}\n  action: ALLOW\n  rules:\n  - from:\n    - source:\n        principals: ["cluster.local/ns/bookinfo/sa/loadgen"]\n    to:\n    - operation: {methods: ["GET"]}',
    )}`;
    const mesh = new ResolvedMesh(snapshotOf(yaml));
    const target = mesh.targets.find((t) => t.ref.name === 'productpage');
    const client = mesh.snapshot.workloads.find((w) => w.meta.name === 'loadgen');
    if (!target || !client) throw new Error('fixture');
    const outcome = mesh.outcome(client, target, target.ports[0] as (typeof target.ports)[0]);
    expect(outcome.ok).toBe(false);
    expect(outcome.reason).toBe('authorization-requires-mtls');
    expect(outcome.tls).toBe('DISABLE');
    expect(outcome.symptom).toContain('403');
    expect(outcome.failing[0]?.authorization).toMatchObject({
      action: 'ALLOW',
      enforcer: 'sidecar',
      identityFields: [{ path: 'spec.rules[0].from[0].source.principals' }],
    });
  });

  it("the reviewer's manifests: A is denied; B's PERMISSIVE turns the reset into a denial", () => {
    expect(
      matrixOf(fixture('disable-with-principals.yaml')).get('bookinfo/loadgen -> bookinfo/productpage:9080'),
    ).toBe(DENIED);
    const strict = matrixOf(fixture('strict-with-namespaces.yaml'));
    expect(strict.get('legacy/batch -> shop/cart:80')).toBe('fail(strict-plaintext-clients)');
    expect(strict.get('shop/frontend -> shop/cart:80')).toBe('ok');
    const permissive = matrixOf(fixture('permissive-with-namespaces.yaml'));
    expect(permissive.get('legacy/batch -> shop/cart:80')).toBe(DENIED);
    expect(permissive.get('shop/frontend -> shop/cart:80')).toBe('ok');
  });

  it('(B) an ALLOW policy on source.namespaces: the plaintext caller has no namespace; mTLS callers pass', () => {
    const allow = authorizationPolicy(
      'shop',
      'cart-callers',
      '  selector:\n    matchLabels: {app: cart}\n  rules:\n  - from:\n    - source:\n        namespaces: [shop, legacy]',
    );
    expect(outcomes(base + allow)).toEqual({ sidecar: 'ok', plaintext: DENIED });
    // STRICT resets the plaintext call before any policy sees it.
    expect(outcomes(base + allow + peerAuthentication('shop', 'default', 'STRICT')).plaintext).toBe(
      'fail(strict-plaintext-clients)',
    );
  });

  it('the "require mTLS" DENY pattern (notPrincipals "*") denies plaintext only, on the container ports it names', () => {
    expect(outcomes(base + authorizationPolicy('shop', 'require-mtls', requireMtls()))).toEqual({
      sidecar: 'ok',
      plaintext: DENIED,
    });
    const onPort = (port: string) =>
      outcomes(
        base +
          authorizationPolicy(
            'shop',
            'require-mtls',
            `${requireMtls()}\n    to:\n    - operation:\n        ports: ["${port}"]`,
          ),
      ).plaintext;
    expect(onPort('8080')).toBe(DENIED);
    // Ports are the workload's: the Service port 80 is not what the sidecar sees.
    expect(onPort('80')).toBe('ok');
    const notPorts = authorizationPolicy(
      'shop',
      'require-mtls',
      `${requireMtls()}\n    to:\n    - operation:\n        notPorts: ["8080"]`,
    );
    expect(outcomes(base + notPorts).plaintext).toBe('ok');
    const when = authorizationPolicy(
      'shop',
      'require-mtls',
      '  action: DENY\n  rules:\n  - when:\n    - key: source.namespace\n      notValues: [shop, legacy]\n    - key: destination.port\n      values: ["8080"]',
    );
    expect(outcomes(base + when).plaintext).toBe(DENIED);
  });

  it('root-namespace policies apply mesh-wide (a selector there selects in every namespace); other namespaces do not', () => {
    expect(
      outcomes(base + authorizationPolicy('istio-system', 'require-mtls', requireMtls())).plaintext,
    ).toBe(DENIED);
    const rootSelector = authorizationPolicy(
      'istio-system',
      'cart-only',
      `  selector:\n    matchLabels: {app: cart}\n${requireMtls()}`,
    );
    expect(outcomes(base + rootSelector).plaintext).toBe(DENIED);
    expect(outcomes(base + authorizationPolicy('legacy', 'require-mtls', requireMtls())).plaintext).toBe(
      'ok',
    );
    const otherApp = authorizationPolicy(
      'shop',
      'p',
      `  selector:\n    matchLabels: {app: frontend}\n${requireMtls()}`,
    );
    expect(outcomes(base + otherApp).plaintext).toBe('ok');
  });

  it('claims no denial it is not sure of', () => {
    const cases: Record<string, string> = {
      'a rule without identity on HTTP attributes may match': `  rules:\n  - from:\n    - source:\n        principals: ["*"]\n  - to:\n    - operation:\n        methods: [GET]`,
      'request principals (JWT)': '  rules:\n  - from:\n    - source:\n        requestPrincipals: ["*"]',
      'IP blocks': '  rules:\n  - from:\n    - source:\n        ipBlocks: ["10.0.0.0/8"]',
      'a second source without identity': `  rules:\n  - from:\n    - source:\n        principals: ["*"]\n    - source:\n        ipBlocks: ["10.0.0.0/8"]`,
      'a DENY rule with an HTTP attribute': `${requireMtls()}\n    to:\n    - operation:\n        paths: ["/admin"]`,
      'a DENY rule on a header': `${requireMtls()}\n    when:\n    - key: request.headers[x-debug]\n      values: ["1"]`,
      'CUSTOM (external authorizer)': `  action: CUSTOM\n  provider:\n    name: ext\n  rules:\n  - from:\n    - source:\n        notPrincipals: ["*"]`,
      AUDIT: `  action: AUDIT\n  rules:\n  - {}`,
      'a policy for a gateway or waypoint (targetRefs)': `  targetRefs:\n  - kind: Gateway\n    group: gateway.networking.k8s.io\n    name: waypoint\n${requireMtls()}`,
      'a policy that denies every caller (ALLOW without rules): mTLS would not help': '  {}',
      'an ALLOW policy for another port only': `  rules:\n  - to:\n    - operation:\n        ports: ["9090"]`,
    };
    for (const [what, spec] of Object.entries(cases))
      expect(outcomes(base + authorizationPolicy('shop', 'p', spec)).plaintext, what).toBe('ok');
    const dryRun = authorizationPolicy(
      'shop',
      'p',
      requireMtls(),
      '\n  annotations:\n    istio.io/dry-run: "true"',
    );
    expect(outcomes(base + dryRun).plaintext, 'dry-run').toBe('ok');
  });

  it('a DestinationRule DISABLE makes sidecar clients plaintext callers; a server without a sidecar enforces nothing', () => {
    const allow = authorizationPolicy(
      'shop',
      'p',
      '  rules:\n  - from:\n    - source:\n        namespaces: [shop]',
    );
    expect(outcomes(base + allow + destinationRule('shop', 'cart-plain', 'cart', 'DISABLE')).sidecar).toBe(
      DENIED,
    );
    const noSidecar = `${namespace('shop')}${app('shop', 'frontend', { labels: { 'sidecar.istio.io/inject': 'false' } })}${namespace('legacy', 'none')}${app('legacy', 'batch')}${app('shop', 'cart', { labels: { 'sidecar.istio.io/inject': 'false' } })}`;
    expect(outcomes(noSidecar + allow).plaintext).toBe('ok');
    const excluded = `${namespace('shop')}${app('shop', 'frontend')}${namespace('legacy', 'none')}${app('legacy', 'batch')}${app('shop', 'cart', { annotations: { 'traffic.sidecar.istio.io/excludeInboundPorts': '8080' } })}`;
    expect(outcomes(excluded + allow).plaintext).toBe('ok');
  });

  it('ambient: ztunnel denies plaintext callers too, and drops ALLOW rules with HTTP attributes', () => {
    const ambient = `${namespace('shop', 'ambient')}${app('shop', 'frontend')}${namespace('legacy', 'none')}${app('legacy', 'batch')}${app('shop', 'cart')}`;
    const allow = authorizationPolicy(
      'shop',
      'p',
      '  rules:\n  - from:\n    - source:\n        principals: ["cluster.local/ns/shop/sa/frontend", "cluster.local/ns/legacy/sa/batch"]\n  - to:\n    - operation:\n        methods: [GET]',
    );
    const result = matrixOf(ambient + allow);
    // HBONE carries the caller's identity.
    expect(result.get('shop/frontend -> shop/cart:80')).toBe('ok');
    expect(result.get('legacy/batch -> shop/cart:80')).toBe(DENIED);
    // The same policy on a sidecar: the GET rule may let plaintext in.
    expect(outcomes(base + allow).plaintext).toBe('ok');
    const mesh = new ResolvedMesh(snapshotOf(ambient + allow));
    const denial = mesh.authorization.denialWithoutIdentity(
      mesh.snapshot.workloads.find((w) => w.meta.name === 'cart') as never,
      { port: 8080, enforcer: 'ztunnel', chain: 'http' },
    );
    expect(denial?.enforcer).toBe('ztunnel');
  });
});

describe("mTLS calls against AuthorizationPolicies, by the caller's own identity", () => {
  const OWN = 'fail(authorization-denied)';
  const allow = (source: string) =>
    authorizationPolicy(
      'shop',
      'p',
      `  selector:\n    matchLabels: {app: cart}\n  rules:\n  - from:\n    - source:\n        ${source}`,
    );

  it('denies an mTLS caller only where every value certainly misses its identity', () => {
    expect(outcomes(base + allow('namespaces: ["sh*"]')).sidecar).toBe('ok');
    expect(outcomes(base + allow('namespaces: ["legacy"]')).sidecar).toBe(OWN);
    expect(outcomes(base + allow('serviceAccounts: ["shop/frontend"]')).sidecar).toBe('ok');
    expect(outcomes(base + allow('serviceAccounts: ["shop/other"]')).sidecar).toBe(OWN);
    expect(outcomes(base + allow('principals: ["*/sa/frontend"]')).sidecar).toBe('ok');
    // Another trust domain, or a pattern that aliases may rewrite: not certain.
    expect(outcomes(base + allow('principals: ["other.td/ns/shop/sa/frontend"]')).sidecar).toBe('ok');
    expect(outcomes(base + allow('principals: ["cluster.local/ns/shop/sa/other"]')).sidecar).toBe(OWN);
    // The mesh's trust domain aliases: a principal under the old trust domain names the caller.
    const aliased = meshConfig('trustDomain: new.td\ntrustDomainAliases: ["old.td"]');
    const deny = authorizationPolicy(
      'shop',
      'no-frontend',
      '  action: DENY\n  rules:\n  - from:\n    - source:\n        principals: ["old.td/ns/shop/sa/frontend"]',
    );
    expect(outcomes(base + aliased + deny).sidecar).toBe(OWN);
    expect(outcomes(base + deny).sidecar).toBe('ok');
  });

  it('splits the clients of a target by identity only where its policies tell identities apart', () => {
    const keys = (yaml: string) => {
      const mesh = new ResolvedMesh(snapshotOf(yaml));
      const cart = mesh.targets.find((t) => t.ref.name === 'cart');
      return cart ? mesh.clientGroups(cart).map((g) => g.key) : [];
    };
    expect(keys(base + authorizationPolicy('shop', 'require-mtls', requireMtls()))).not.toContainEqual(
      expect.stringMatching(/^identity:/),
    );
    expect(keys(base + allow('namespaces: ["shop"]'))).toContain('identity:legacy/batch|none');
  });
});

describe('TCP filter chains: Istio builds RBAC without HTTP fields (builder.go BuildTCP)', () => {
  const withPort = (yaml: string, name: string) =>
    yaml.replace(/- name: http\n(\s+port: 80\n)/g, `- name: ${name}\n$1`);
  const allowGet = authorizationPolicy(
    'shop',
    'p',
    '  selector:\n    matchLabels: {app: cart}\n  rules:\n  - from:\n    - source:\n        principals: ["cluster.local/ns/shop/sa/frontend", "cluster.local/ns/legacy/sa/batch"]\n  - to:\n    - operation:\n        methods: ["GET"]',
  );
  const denyAdmin = authorizationPolicy(
    'shop',
    'p',
    '  action: DENY\n  rules:\n  - from:\n    - source:\n        notPrincipals: ["*"]\n    to:\n    - operation:\n        paths: ["/admin/*"]',
  );

  it('an ALLOW rule with an HTTP field is dropped, a DENY rule loses only its HTTP condition', () => {
    // HTTP (or sniffed): the GET rule and the /admin path may decide; nothing certain.
    expect(outcomes(base + allowGet).plaintext).toBe('ok');
    expect(outcomes(base + denyAdmin).plaintext).toBe('ok');
    for (const name of ['tcp-db', 'mongo', 'tls-passthrough']) {
      const tcp = withPort(base, name);
      expect(tcp).toContain(`name: ${name}`);
      expect(outcomes(tcp + allowGet)).toEqual({ sidecar: 'ok', plaintext: DENIED });
      expect(outcomes(tcp + denyAdmin)).toEqual({ sidecar: 'ok', plaintext: DENIED });
    }
    // appProtocol wins over the name.
    const cart = app('shop', 'cart');
    const tcpCart = cart.replace('- name: http\n', '- name: http\n      appProtocol: tcp\n');
    const byAppProtocol = base.replace(cart, tcpCart);
    expect(outcomes(byAppProtocol + allowGet).plaintext).toBe(DENIED);
  });

  it('the symptom follows the protocol Istio reads: https is TCP, no 403', () => {
    const yaml =
      withPort(base, 'https') +
      authorizationPolicy(
        'shop',
        'p',
        '  rules:\n  - from:\n    - source:\n        namespaces: ["shop", "legacy"]',
      );
    const mesh = new ResolvedMesh(snapshotOf(yaml));
    const cart = mesh.targets.find((t) => t.ref.name === 'cart');
    const batch = mesh.snapshot.workloads.find((w) => w.meta.name === 'batch');
    if (!cart || !batch) throw new Error('fixture');
    const outcome = mesh.outcome(batch, cart, cart.ports[0] as (typeof cart.ports)[0]);
    expect(outcome.reason).toBe('authorization-requires-mtls');
    expect(outcome.symptom).not.toContain('403');
    expect(outcome.symptom).toContain('TCP port');
  });
});

describe('ambient pods that bypass inbound capture (ambient.istio.io/bypass-inbound-capture)', () => {
  const withCart = (annotation: string | undefined) =>
    `${namespace('shop', 'ambient')}${app('shop', 'frontend')}${namespace('legacy', 'none')}${app('legacy', 'batch')}${app('shop', 'cart', annotation === undefined ? {} : { annotations: { 'ambient.istio.io/bypass-inbound-capture': annotation } })}${peerAuthentication('shop', 'default', 'STRICT')}${authorizationPolicy('shop', 'p', '  rules:\n  - from:\n    - source:\n        namespaces: ["shop", "legacy"]')}`;

  it('plaintext goes straight to the app: no ztunnel RBAC, no STRICT reset; HBONE still passes ztunnel', () => {
    expect(outcomes(withCart(undefined)).plaintext).toBe('fail(strict-plaintext-clients)');
    for (const value of ['true', '1', 'T', 'TRUE']) {
      expect(outcomes(withCart(value))).toEqual({ sidecar: 'ok', plaintext: 'ok' });
    }
    // strconv.ParseBool: anything else is not true.
    expect(outcomes(withCart('yes')).plaintext).toBe('fail(strict-plaintext-clients)');
    // HBONE from an ambient client still meets ztunnel's policies.
    const other = withCart('true').replace('namespaces: ["shop", "legacy"]', 'namespaces: ["legacy"]');
    expect(outcomes(other).sidecar).toBe('fail(authorization-denied)');
  });

  it('without PeerAuthentication: the AuthorizationPolicy does not deny plaintext there', () => {
    const shopOnly = (annotation: string | undefined) =>
      withCart(annotation)
        .replace(peerAuthentication('shop', 'default', 'STRICT'), '')
        .replace('namespaces: ["shop", "legacy"]', 'namespaces: ["shop"]');
    expect(outcomes(shopOnly(undefined)).plaintext).toBe('fail(authorization-denied)');
    expect(outcomes(shopOnly('true')).plaintext).toBe('ok');
  });
});
