// Under a mesh-wide STRICT policy, a namespace may already hold a namespace-wide policy that sets no
// mode (it inherits STRICT). Istio keeps the oldest namespace-wide policy, so a new "default" beside it
// would be ignored: the PERMISSIVE fix must switch that policy, and doing so repairs the calls.
import { expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose.js';
import { type RemediationPlan, setPeerAuthenticationMode } from '../../src/remediation/plans.js';
import type { PeerAuthentication } from '../../src/snapshot/types.js';
import { app, matrixOf, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';
import { callsChangedByPlans } from '../helpers/plan-effect.js';

const NOW = new Date('2026-11-30T00:00:00Z');

it('switches the namespace policy that wins instead of creating one that Istio ignores', () => {
  const mesh = (nsPolicyMode: string | undefined) =>
    [
      namespace('istio-system', 'none'),
      peerAuthentication('istio-system', 'default', 'STRICT'),
      namespace('app'),
      peerAuthentication('app', 'ns-pol', nsPolicyMode, { created: '2023-01-01T00:00:00Z' }),
      app('app', 'web'),
      namespace('legacy', 'none'),
      app('legacy', 'client'),
    ].join('');
  const yaml = mesh(undefined);
  expect(matrixOf(yaml).get('legacy/client -> app/web:80')).toBe('fail(strict-plaintext-clients)');
  const f = diagnose(snapshotOf(yaml), { now: NOW }).findings.find(
    (x) => x.code === 'strict-plaintext-clients',
  );
  const ids = f?.remediations.map((p) => p.id) ?? [];
  expect(ids).toContain('set-mode-permissive:PeerAuthentication/app/ns-pol');
  expect(ids.some((id) => id.startsWith('create-permissive'))).toBe(false);
  // The plan's change, made: the call works.
  expect(matrixOf(mesh('PERMISSIVE')).get('legacy/client -> app/web:80')).toBe('ok');
  // A "default" PERMISSIVE created beside it, as the old fix did, would change nothing.
  const ignored =
    yaml + peerAuthentication('app', 'default', 'PERMISSIVE', { created: '2026-11-30T00:00:00Z' });
  expect(matrixOf(ignored).get('legacy/client -> app/web:80')).toBe('fail(strict-plaintext-clients)');
});

it('a server in the root namespace gets no "namespace" PERMISSIVE fix (that policy is the mesh’s) and no ignored port exception', () => {
  const yaml = [
    namespace('istio-system'),
    peerAuthentication('istio-system', 'default', 'STRICT'),
    app('istio-system', 'echo'),
    namespace('legacy', 'none'),
    app('legacy', 'old'),
  ].join('');
  expect(matrixOf(yaml).get('legacy/old -> istio-system/echo:80')).toBe('fail(strict-plaintext-clients)');
  const f = diagnose(snapshotOf(yaml), { now: NOW }).findings.find(
    (x) => x.code === 'strict-plaintext-clients',
  );
  const ids = f?.remediations.map((p) => p.id) ?? [];
  expect(ids.filter((id) => id.includes('istio-system'))).toEqual([]);
  expect(ids).toContain('label-injection:Namespace/legacy');
});

it('the port exception goes into the selector policy that already covers the server, whatever level decided', () => {
  // A policy for the server's pods that sets no mode (it inherits the mesh's STRICT) and opens another port.
  const yaml = [
    namespace('istio-system', 'none'),
    peerAuthentication('istio-system', 'default', 'STRICT'),
    namespace('app'),
    app('app', 'web'),
    peerAuthentication('app', 'web-metrics', undefined, {
      selector: { app: 'web' },
      ports: { 9090: 'PERMISSIVE' },
      created: '2023-01-01T00:00:00Z',
    }),
    namespace('legacy', 'none'),
    app('legacy', 'client'),
  ].join('');
  const f = diagnose(snapshotOf(yaml), { now: NOW }).findings.find(
    (x) => x.code === 'strict-plaintext-clients',
  );
  const ids = f?.remediations.map((p) => p.id) ?? [];
  expect(ids).toContain('port-exception:PeerAuthentication/app/web-metrics:8080');
  expect(ids.some((id) => id.includes('web-port-8080'))).toBe(false);
});

it('a STRICT port entry of a PERMISSIVE policy gets that port set PERMISSIVE, not the policy’s mode, which would change nothing', () => {
  const yaml = [
    namespace('b'),
    app('b', 'server'),
    peerAuthentication('b', 'srv', 'PERMISSIVE', { selector: { app: 'server' }, ports: { 8080: 'STRICT' } }),
    namespace('legacy', 'none'),
    app('legacy', 'old'),
  ].join('');
  expect(matrixOf(yaml).get('legacy/old -> b/server:80')).toBe('fail(strict-plaintext-clients)');
  const f = diagnose(snapshotOf(yaml), { now: NOW }).findings.find(
    (x) => x.code === 'strict-plaintext-clients',
  );
  const plans = f?.remediations ?? [];
  expect(plans.map((p) => p.id)).not.toContain('set-mode-permissive:PeerAuthentication/b/srv');
  const port = plans.find((p) => p.id === 'port-exception:PeerAuthentication/b/srv:8080');
  expect(port?.body).toEqual({ spec: { portLevelMtls: { 8080: { mode: 'PERMISSIVE' } } } });
  expect(callsChangedByPlans(yaml, [port as RemediationPlan])).toEqual({
    repaired: ['legacy/old -> b/server:80'],
    broken: [],
  });
  // What the switch of the policy's mode would have done.
  const policy = snapshotOf(yaml).peerAuthentications[0] as PeerAuthentication;
  expect(callsChangedByPlans(yaml, [setPeerAuthenticationMode(policy, 'PERMISSIVE')])).toEqual({
    repaired: [],
    broken: [],
  });
});

it('a new namespace policy is not named "default" when a workload policy has that name', () => {
  // b/default selects db only: it is no namespace-wide policy, and `kubectl apply` of a "default"
  // would merge into it, keep its selector and make db PERMISSIVE instead of the namespace.
  const yaml = [
    namespace('istio-system', 'none'),
    peerAuthentication('istio-system', 'default', 'STRICT'),
    namespace('b'),
    app('b', 'server'),
    app('b', 'db'),
    peerAuthentication('b', 'default', 'STRICT', { selector: { app: 'db' } }),
    namespace('legacy', 'none'),
    app('legacy', 'old'),
  ].join('');
  const create = diagnose(snapshotOf(yaml), { now: NOW })
    .findings.filter((x) => x.code === 'strict-plaintext-clients')
    .flatMap((x) => x.remediations)
    .find((p) => p.id.startsWith('create-permissive:'));
  expect(create?.id).toBe('create-permissive:PeerAuthentication/b/namespace-permissive');
  expect(create?.body).toEqual({
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name: 'namespace-permissive', namespace: 'b' },
    spec: { mtls: { mode: 'PERMISSIVE' } },
  });
  expect(callsChangedByPlans(yaml, [create as RemediationPlan])).toEqual({
    repaired: ['legacy/old -> b/server:80'],
    broken: [],
  });

  // The same in the migration's STRICT step: the namespace's new policy gets a name of its own.
  const permissive = [
    namespace('c'),
    app('c', 'web'),
    peerAuthentication('c', 'default', 'PERMISSIVE', { selector: { app: 'web' } }),
  ].join('');
  const plans = diagnose(snapshotOf(permissive), { now: NOW }).findings.flatMap((x) => x.remediations);
  expect(plans.map((p) => p.id)).toContain('create-strict:PeerAuthentication/c/namespace-strict');
  expect(plans.some((p) => p.id === 'create-strict:PeerAuthentication/c/default')).toBe(false);
});

it('a port exception keyed by the Service’s selector names every workload it opens, not only the failing one', () => {
  // Two Deployments behind one Service (app=web): the exception's selector covers both.
  const second = app('app', 'web-v2', { labels: { app: 'web' } }).split(
    '---\napiVersion: v1\nkind: Service',
  )[0] as string;
  const yaml = [
    namespace('istio-system', 'none'),
    namespace('app'),
    peerAuthentication('app', 'default', 'STRICT'),
    app('app', 'web'),
    second,
    namespace('legacy', 'none'),
    app('legacy', 'client'),
  ].join('');
  const f = diagnose(snapshotOf(yaml), { now: NOW }).findings.find(
    (x) => x.code === 'strict-plaintext-clients',
  );
  const exception = f?.remediations.find((p) => p.id.startsWith('port-exception:'));
  expect(exception?.risk).toContain('the 2 workloads selected by app=web (web, web-v2)');
  // One workload behind the selector: named alone, as before.
  const alone = diagnose(snapshotOf(yaml.replace(second, '')), { now: NOW }).findings.find(
    (x) => x.code === 'strict-plaintext-clients',
  );
  expect(alone?.remediations.find((p) => p.id.startsWith('port-exception:'))?.risk).toMatch(
    /^Port 8080 of web accepts/,
  );
});
