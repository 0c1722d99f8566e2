// Before/after pairs of the field guide's five errors and of the istio.io mTLS migration task, with the
// exact calls each change breaks or repairs.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ImpactResult, impact } from '../../src/engine/impact.js';
import type { MeshSnapshot } from '../../src/snapshot/types.js';
import { issueCertificate } from '../helpers/certs.js';
import { app, destinationRule, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';

const fixture = (path: string) => snapshotOf(readFileSync(`test/fixtures/${path}`, 'utf8'));
const pairs = (list: ImpactResult['broken']) =>
  list.map((p) => `${p.from} -> ${p.to}: ${p.before.reason} → ${p.reason}`);
const NOW = new Date('2026-11-29T00:00:00Z');

describe('field guide errors as changes', () => {
  it('error 1: a namespace switched to STRICT resets the caller without a sidecar; the port exception repairs it', () => {
    const after = fixture('field-guide/error1-strict-with-clients.yaml');
    const before: MeshSnapshot = { ...after, peerAuthentications: [] };
    const result = impact(before, after, { now: NOW });
    expect(pairs(result.broken)).toEqual([
      'batch/nightly-report -> your-namespace/api:8080: ok → strict-plaintext-clients',
    ]);
    expect(result.broken[0]?.symptom).toMatch(/connection reset/);
    expect(result.broken[0]?.causes.map((c) => `${c.change} ${c.kind} ${c.namespace}/${c.name}`)).toEqual([
      'added PeerAuthentication your-namespace/default',
    ]);
    expect(result.repaired).toEqual([]);
    expect(result.findings.opened.map((f) => f.code)).toContain('strict-plaintext-clients');

    const exception = snapshotOf(
      readFileSync('test/fixtures/field-guide/error1-strict-with-clients.yaml', 'utf8') +
        peerAuthentication('your-namespace', 'api-plaintext-port', 'STRICT', {
          selector: { app: 'api' },
          ports: { 8080: 'PERMISSIVE' },
        }),
    );
    const fixed = impact(after, exception, { now: NOW });
    expect(pairs(fixed.repaired)).toEqual([
      'batch/nightly-report -> your-namespace/api:8080: strict-plaintext-clients → ok',
    ]);
    expect(fixed.broken).toEqual([]);
    expect(fixed.findings.resolved.map((f) => f.code)).toContain('strict-plaintext-clients');
  });

  it('error 2: a DestinationRule with tls DISABLE towards a STRICT server breaks every sidecar caller', () => {
    const base =
      namespace('default') +
      app('default', 'my-service') +
      app('default', 'web') +
      peerAuthentication('default', 'my-service-auth', 'STRICT', { selector: { app: 'my-service' } });
    // The guide's DestinationRule (its first document); the STRICT policy is already in the base.
    const guideRule = readFileSync('test/fixtures/field-guide/error2-dr-mismatch.yaml', 'utf8').split(
      '---',
    )[0];
    const result = impact(snapshotOf(base), snapshotOf(`${base}---\n${guideRule}`), { now: NOW });
    expect(pairs(result.broken)).toEqual([
      'default/my-service -> default/my-service:80: ok → destinationrule-tls-conflict',
      'default/web -> default/my-service:80: ok → destinationrule-tls-conflict',
    ]);
    expect(result.changed.map((c) => `${c.change} ${c.kind} ${c.namespace}/${c.name}`)).toEqual([
      'added DestinationRule default/my-service-dr',
    ]);
    expect(result.findings.opened.map((f) => f.code)).toContain('destinationrule-tls-conflict');
  });

  it('error 3: an expired workload certificate opens a finding and changes no pair outcome', () => {
    const mesh = namespace('shop') + app('shop', 'orders') + app('shop', 'web');
    const before = snapshotOf(mesh);
    const expired = issueCertificate({
      commonName: 'istio-ca',
      isCa: true,
      notBefore: new Date('2025-11-01T00:00:00Z'),
      notAfter: new Date('2026-11-01T00:00:00Z'),
    }).pem;
    const after: MeshSnapshot = {
      ...before,
      certificates: [
        {
          role: 'ca-root',
          owner: { kind: 'Secret', namespace: 'istio-system', name: 'cacerts' },
          key: 'root-cert.pem',
          pem: expired,
        },
      ],
    };
    const result = impact(before, after, { now: NOW });
    expect(result.broken).toEqual([]);
    expect(result.repaired).toEqual([]);
    expect(result.pairsCompared).toBe(0);
    expect(result.findings.opened.map((f) => f.code)).toContain('certificate-expired');
    expect(result.changed.map((c) => c.change)).toEqual(['added']);
  });

  it('error 4: TLS origination for an external HTTPS host repairs the call that sent plaintext to port 443', () => {
    const clients = namespace('shop') + app('shop', 'web');
    const without = `---\n${readFileSync('test/fixtures/field-guide/error4-serviceentry-without-tls.yaml', 'utf8')}`;
    const withOrigination =
      without +
      destinationRule(
        'default',
        'external-api-dr',
        'api.external-service.com',
        'SIMPLE',
        '\n      sni: api.external-service.com',
      );
    const result = impact(snapshotOf(clients + without), snapshotOf(clients + withOrigination), { now: NOW });
    expect(pairs(result.repaired)).toEqual([
      'shop/web -> default/api.external-service.com:80: serviceentry-tls-origination → ok',
    ]);
    expect(result.repaired[0]?.before.outcome).toBe('fail');
    expect(result.broken).toEqual([]);
  });

  it('error 5: turning auto mTLS off breaks sidecar callers of the STRICT service', () => {
    const after = fixture('field-guide/error5-with-strict-service.yaml');
    const before = snapshotOf(
      readFileSync('test/fixtures/field-guide/error5-with-strict-service.yaml', 'utf8').replace(
        'enableAutoMtls: false',
        'enableAutoMtls: true',
      ),
    );
    const result = impact(before, after, { now: NOW });
    expect(pairs(result.broken)).toEqual([
      'shop/cart -> shop/cart:80: ok → auto-mtls-disabled',
      'shop/frontend -> shop/cart:80: ok → auto-mtls-disabled',
    ]);
    expect(result.broken.every((p) => p.causes.some((c) => c.role === 'mesh-config'))).toBe(true);
  });
});

describe('istio.io mTLS migration task', () => {
  const step = (name: string) => fixture(`istio-io-tasks/mtls-migration-${name}/manifests.yaml`);
  const expected = (name: string) =>
    new Map(
      (
        JSON.parse(
          readFileSync(`test/fixtures/istio-io-tasks/mtls-migration-${name}/expected.json`, 'utf8'),
        ) as {
          pairs: { from: string; to: string; outcome: string }[];
        }
      ).pairs.map((p) => [`${p.from} -> ${p.to}`, p.outcome]),
    );
  /** The pairs the documentation shows working in one step and failing in the next. */
  const documentedBreaks = (from: string, to: string) => {
    const a = expected(from);
    return [...expected(to)].filter(([k, o]) => o === 'fail' && a.get(k) === 'ok').map(([k]) => k);
  };

  it('a → b: lock down foo breaks only legacy → foo', () => {
    const result = impact(step('a-setup'), step('b-lock-down-foo'), { now: NOW });
    expect(pairs(result.broken)).toEqual([
      'legacy/curl -> foo/curl:80: ok → strict-plaintext-clients',
      'legacy/curl -> foo/httpbin:8000: ok → strict-plaintext-clients',
    ]);
    expect(result.repaired).toEqual([]);
    const httpbin = result.broken.filter((p) => p.to.includes('httpbin')).map((p) => `${p.from} -> ${p.to}`);
    expect(httpbin).toEqual(documentedBreaks('a-setup', 'b-lock-down-foo'));
  });

  it('b → c: lock down the mesh breaks legacy → bar (foo was already STRICT)', () => {
    const result = impact(step('b-lock-down-foo'), step('c-lock-down-mesh'), { now: NOW });
    expect(pairs(result.broken)).toEqual([
      'legacy/curl -> bar/curl:80: ok → strict-plaintext-clients',
      'legacy/curl -> bar/httpbin:8000: ok → strict-plaintext-clients',
    ]);
    expect(result.broken[0]?.causes.map((c) => `${c.kind} ${c.namespace}/${c.name}`)).toEqual([
      'PeerAuthentication istio-system/default',
    ]);
    const httpbin = result.broken.filter((p) => p.to.includes('httpbin')).map((p) => `${p.from} -> ${p.to}`);
    expect(httpbin).toEqual(documentedBreaks('b-lock-down-foo', 'c-lock-down-mesh'));
  });

  it('c → a: rolling both back repairs all four legacy calls', () => {
    const result = impact(step('c-lock-down-mesh'), step('a-setup'), { now: NOW });
    expect(result.broken).toEqual([]);
    expect(result.repaired.map((p) => `${p.from} -> ${p.to}`)).toEqual([
      'legacy/curl -> bar/curl:80',
      'legacy/curl -> bar/httpbin:8000',
      'legacy/curl -> foo/curl:80',
      'legacy/curl -> foo/httpbin:8000',
    ]);
  });
});

describe('objects a change adds', () => {
  it('a new namespace PERMISSIVE policy beside the existing STRICT one changes no call: Istio keeps the oldest', () => {
    const base =
      namespace('shop') +
      app('shop', 'api') +
      namespace('legacy', 'none') +
      app('legacy', 'batch') +
      peerAuthentication('shop', 'strict', 'STRICT', { created: '2025-06-01T00:00:00Z' });
    // The pull request's new file has no creationTimestamp: the API server will stamp it as the newest.
    const result = impact(
      snapshotOf(base),
      snapshotOf(base + peerAuthentication('shop', 'allow-legacy', 'PERMISSIVE')),
      { now: NOW },
    );
    expect(result.repaired).toEqual([]);
    expect(result.broken).toEqual([]);
    const conflict = result.findings.opened.find((f) => f.code === 'peerauthentication-conflict');
    expect(conflict?.resource.name).toBe('allow-legacy');
    expect(conflict?.why[0]).toBe(
      'shop/strict exists (creationTimestamp 2025-06-01T00:00:00Z) and shop/allow-legacy has no creationTimestamp yet: created now, it is the newer one.',
    );
  });
});
