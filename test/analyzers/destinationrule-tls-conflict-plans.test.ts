// The plan offered for a DestinationRule whose TLS breaks calls changes only what the failing
// (host, port) calls use, and its mode suits every backend behind the port: applied (as the impact
// engine of `diff --base` and `fix` judges it), it repairs the failing calls and breaks none.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose.js';
import {
  app,
  destinationRule,
  matrixOf,
  meshConfig,
  namespace,
  peerAuthentication,
  snapshotOf,
} from '../helpers/mesh.js';
import { callsChangedBy } from '../helpers/plan-effect.js';

const NOW = new Date('2026-11-30T00:00:00Z');

function conflict(yaml: string) {
  const found = diagnose(snapshotOf(yaml), { now: NOW }).findings.filter(
    (f) => f.code === 'destinationrule-tls-conflict',
  );
  expect(found).toHaveLength(1);
  return found[0] as NonNullable<(typeof found)[number]>;
}

const failing = (yaml: string) =>
  [...matrixOf(yaml)]
    .filter(([, outcome]) => outcome.startsWith('fail(destinationrule'))
    .map(([pair]) => pair);

// server serves 80 (STRICT) and 9000 (a port-level DISABLE exception).
const twoPortServer = `${namespace('a')}${app('a', 'client')}${namespace('b')}---
apiVersion: apps/v1
kind: Deployment
metadata: { name: server, namespace: b }
spec:
  selector: { matchLabels: { app: server } }
  template:
    metadata: { labels: { app: server } }
    spec: { containers: [{ name: s, ports: [{ name: http, containerPort: 8080 }, { name: metrics, containerPort: 9000 }] }] }
---
apiVersion: v1
kind: Service
metadata: { name: server, namespace: b }
spec:
  selector: { app: server }
  ports: [{ name: http, port: 80, targetPort: 8080 }, { name: http-metrics, port: 9000 }]
${peerAuthentication('b', 'server', 'STRICT', { selector: { app: 'server' }, ports: { 9000: 'DISABLE' } })}`;

describe('destinationrule-tls-conflict plans change only the failing (host, port)', () => {
  it('a top-level tls that also serves a working port: a port entry for the failing port, not the top level', () => {
    const yaml = twoPortServer + destinationRule('a', 'server', 'server.b.svc.cluster.local', 'DISABLE');
    expect(failing(yaml)).toEqual(['a/client -> b/server:80']);
    const f = conflict(yaml);
    expect(f.remediations.map((p) => p.id)).toEqual([
      'set-port-tls-istio-mutual:DestinationRule/a/server:80',
    ]);
    expect(f.fix).toContain('also serves port 9000 of server.b.svc.cluster.local, which work');
    const plan = f.remediations[0] as NonNullable<(typeof f.remediations)[number]>;
    expect(plan.kubectl).toContain(
      `--type=merge -p '{"spec":{"trafficPolicy":{"portLevelSettings":[{"port":{"number":80},"tls":{"mode":"ISTIO_MUTUAL"}}]}}}'`,
    );
    const { repaired, broken } = callsChangedBy(plan, yaml);
    expect(repaired).toEqual(['a/client -> b/server:80']);
    expect(broken).toEqual([]);

    // The other way round: ISTIO_MUTUAL at the top breaks only the DISABLE port.
    const mtls = twoPortServer + destinationRule('a', 'server', 'server.b.svc.cluster.local', 'ISTIO_MUTUAL');
    const other = conflict(mtls).remediations;
    expect(other.map((p) => p.id)).toEqual(['set-port-tls-disable:DestinationRule/a/server:9000']);
    expect(callsChangedBy(other[0] as (typeof other)[number], mtls)).toMatchObject({
      repaired: ['a/client -> b/server:9000'],
      broken: [],
    });
  });

  it('a wildcard’s port entry that also serves other hosts: a rule for the failing host, the wildcard left alone', () => {
    const yaml = `${namespace('a')}${app('a', 'client')}${namespace('b')}${app('b', 'server')}${app('b', 'plain', { labels: { 'sidecar.istio.io/inject': 'false' } })}${peerAuthentication('b', 'server', 'STRICT', { selector: { app: 'server' } })}${destinationRule('a', 'all-b', '*.b.svc.cluster.local', undefined, '\n  trafficPolicy:\n    portLevelSettings:\n      - port: { number: 80 }\n        tls: { mode: DISABLE }')}`;
    expect(failing(yaml)).toEqual(['a/client -> b/server:80']);
    expect(matrixOf(yaml).get('a/client -> b/plain:80')).toBe('ok');
    const plans = conflict(yaml).remediations;
    expect(plans.map((p) => p.id)).toEqual(['create-host-dr:DestinationRule/a/server-b-mtls']);
    // The wildcard's DISABLE entry for port 80 is not copied: it would override the rule's own tls.
    expect(plans[0]?.body).toMatchObject({
      spec: { host: 'server.b.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } },
    });
    expect(JSON.stringify(plans[0]?.body)).not.toContain('portLevelSettings');
    const { repaired, broken } = callsChangedBy(plans[0] as (typeof plans)[number], yaml);
    expect(repaired).toEqual(['a/client -> b/server:80']);
    expect(broken).toEqual([]);
  });

  it('a wildcard with subsets gets no plan: a rule for one host would drop the subsets', () => {
    const yaml = `${namespace('a')}${app('a', 'client')}${namespace('b')}${app('b', 'server')}${peerAuthentication('b', 'default', 'STRICT')}${destinationRule('a', 'all-b', '*.b.svc.cluster.local', 'DISABLE', '\n  subsets: [{ name: v1, labels: { version: v1 } }]')}`;
    const f = conflict(yaml);
    expect(f.remediations).toEqual([]);
    expect(f.fix).toContain('would drop its subsets');
  });
});

// mixed-v1 has a sidecar (STRICT), mixed-v2 opted out: one Service over both.
const mixed = (rule: string, extra = '') =>
  `${namespace('istio-system', 'none')}${namespace('a')}${app('a', 'client')}${namespace('b')}${app(
    'b',
    'mixed',
    { labels: { v: 'v1' } },
  )
    .split('---\napiVersion: v1\nkind: Service')[0]
    ?.replace(
      'name: mixed\n',
      'name: mixed-v1\n',
    )}${app('b', 'mixed', { labels: { v: 'v2', 'sidecar.istio.io/inject': 'false' } }).replace('name: mixed\n  namespace: b\nspec:\n  selector:\n    matchLabels', 'name: mixed-v2\n  namespace: b\nspec:\n  selector:\n    matchLabels')}${peerAuthentication('b', 'default', 'STRICT')}${destinationRule('b', 'mixed', 'mixed', rule)}${extra}`;

describe('destinationrule-tls-conflict plans suit every backend', () => {
  it('backends that need different modes: remove the tls so auto mTLS chooses per endpoint', () => {
    for (const mode of ['DISABLE', 'ISTIO_MUTUAL']) {
      const yaml = mixed(mode);
      const f = conflict(yaml);
      expect(f.remediations.map((p) => p.id)).toEqual([
        'remove-tls:DestinationRule/b/mixed:spec.trafficPolicy.tls',
      ]);
      expect(f.fix).toContain('b/mixed-v1 needs Istio mTLS, b/mixed-v2 accepts only plaintext');
      const plan = f.remediations[0] as NonNullable<(typeof f.remediations)[number]>;
      expect(plan.kubectl).toContain(`-p '{"spec":{"trafficPolicy":{"tls":null}}}'`);
      const { repaired, broken } = callsChangedBy(plan, yaml);
      expect(repaired).toEqual(['a/client -> b/mixed:80', 'b/mixed-v1 -> b/mixed:80']);
      expect(broken).toEqual([]);
    }
  });

  it('no plan where auto mTLS cannot choose per endpoint (auto mTLS off): a fixed mode would break one backend', () => {
    const f = conflict(mixed('DISABLE', meshConfig('enableAutoMtls: false')));
    expect(f.remediations).toEqual([]);
    expect(f.fix).toContain('auto mTLS cannot choose per endpoint');
  });
});

describe('destinationrule-tls-conflict plans that switch to ISTIO_MUTUAL', () => {
  it('drop the SIMPLE rule’s sni and subjectAltNames, which ISTIO_MUTUAL would check the server against', () => {
    const yaml = `${namespace('a')}${app('a', 'client')}${namespace('b')}${app('b', 'server')}${peerAuthentication('b', 'default', 'STRICT')}${destinationRule('b', 'tls-in-mesh', 'server', 'SIMPLE', '\n      sni: server.example.com\n      subjectAltNames: [server.example.com]')}`;
    const f = conflict(yaml);
    const plan = f.remediations[0] as NonNullable<(typeof f.remediations)[number]>;
    expect(plan.id).toBe('set-tls-istio-mutual:DestinationRule/b/tls-in-mesh:spec.trafficPolicy.tls');
    expect(plan.risk).toContain('(sni, subjectAltNames) are removed');
    // The printed command replaces the whole block; applied, the edit removes the fields the live object has.
    expect(plan.kubectl).toContain(
      `--type=json -p '[{"op":"add","path":"/spec/trafficPolicy/tls","value":{"mode":"ISTIO_MUTUAL"}}]'`,
    );
    const { repaired, broken, result } = callsChangedBy(plan, yaml);
    expect(repaired).toEqual(['a/client -> b/server:80', 'b/server -> b/server:80']);
    expect(broken).toEqual([]);
    expect(result.findings.opened.map((o) => o.code)).not.toContain('destinationrule-san-mismatch');
  });
});
