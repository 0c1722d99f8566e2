// A wildcard DestinationRule (a mesh-wide `*.local` ISTIO_MUTUAL rule in the root namespace) that breaks
// calls to one plaintext-only server: the fix is a rule for that host only, not flipping the wildcard
// to DISABLE, which would send plaintext to every STRICT service it covers.
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { diagnose } from '../../src/engine/diagnose.js';
import { createHostDestinationRule } from '../../src/remediation/plans.js';
import { app, matrixOf, meshConfig, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';

const NOW = new Date('2026-11-30T00:00:00Z');

const rule = (spec: string) => `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: all, namespace: istio-system }
spec: ${spec}
`;

const mesh = (spec: string) =>
  `${namespace('istio-system', 'none')}${rule(spec)}${namespace('app')}${peerAuthentication('app', 'default', 'STRICT')}${app('app', 'web')}${app('app', 'cli')}${namespace('legacy', 'none')}${app('legacy', 'old')}${app('legacy', 'older')}`;

const conflictPlans = (yaml: string) => conflict(yaml).remediations;

function conflict(yaml: string) {
  const found = diagnose(snapshotOf(yaml), { now: NOW }).findings.filter(
    (f) => f.code === 'destinationrule-tls-conflict',
  );
  expect(found).toHaveLength(1);
  return found[0] as NonNullable<(typeof found)[number]>;
}

describe('destinationrule-tls-conflict on a wildcard rule', () => {
  it('offers a rule per failing host, which repairs them and breaks nothing; the wildcard is left alone', () => {
    const yaml = mesh('{ host: "*.local", trafficPolicy: { tls: { mode: ISTIO_MUTUAL } } }');
    const f = conflict(yaml);
    expect(f.fix).toContain('covers every host matching *.local');
    expect(f.remediations.map((p) => p.id)).toEqual([
      'create-host-dr:DestinationRule/istio-system/old-legacy-plaintext',
      'create-host-dr:DestinationRule/istio-system/older-legacy-plaintext',
    ]);
    expect(f.remediations.every((p) => p.action === 'create')).toBe(true);

    const before = matrixOf(yaml);
    expect(before.get('app/web -> legacy/old:80')).toBe('fail(destinationrule-tls-conflict)');
    expect(before.get('app/web -> app/cli:80')).toBe('ok');
    const after = matrixOf(yaml + f.remediations.map((p) => `---\n${stringify(p.body)}`).join(''));
    for (const [pair, outcome] of before) {
      expect(after.get(pair), pair).toBe(outcome.startsWith('fail(destinationrule') ? 'ok' : outcome);
    }

    // What flipping the wildcard would have done: every call to the STRICT services breaks.
    const flipped = matrixOf(mesh('{ host: "*.local", trafficPolicy: { tls: { mode: DISABLE } } }'));
    expect(flipped.get('app/web -> app/cli:80')).not.toBe('ok');
  });

  it('keeps the wildcard’s export and workload selector, so the same clients pick the new rule', () => {
    const f = conflict(
      mesh(
        '{ host: "*.local", exportTo: ["istio-system", "app"], workloadSelector: { matchLabels: { app: web } }, trafficPolicy: { tls: { mode: ISTIO_MUTUAL } } }',
      ).replace('name: all, namespace: istio-system', 'name: all, namespace: app'),
    );
    expect(f.remediations[0]?.body).toMatchObject({
      metadata: { namespace: 'app' },
      spec: {
        host: 'old.legacy.svc.cluster.local',
        exportTo: ['istio-system', 'app'],
        workloadSelector: { matchLabels: { app: 'web' } },
        trafficPolicy: { tls: { mode: 'DISABLE' } },
      },
    });
  });

  it('an exact-host rule is still patched in place', () => {
    const exact = conflict(
      mesh('{ host: old.legacy.svc.cluster.local, trafficPolicy: { tls: { mode: ISTIO_MUTUAL } } }'),
    );
    expect(exact.remediations.map((p) => p.id)).toEqual([
      'set-tls-disable:DestinationRule/istio-system/all:spec.trafficPolicy.tls',
    ]);
  });

  it('changes only the failing ports of a host whose other ports work, keeping the wildcard’s TLS for them', () => {
    // pay serves 80 (STRICT) and 81 (a DISABLE port exception): only 81 fails under *.local ISTIO_MUTUAL.
    const twoPorts = `${namespace('pay')}---
apiVersion: apps/v1
kind: Deployment
metadata: { name: pay, namespace: pay }
spec:
  selector: { matchLabels: { app: pay } }
  template:
    metadata: { labels: { app: pay } }
    spec: { containers: [{ name: pay, ports: [{ containerPort: 8080 }, { containerPort: 9090 }] }] }
---
apiVersion: v1
kind: Service
metadata: { name: pay, namespace: pay }
spec:
  selector: { app: pay }
  ports: [{ name: http, port: 80, targetPort: 8080 }, { name: http-admin, port: 81, targetPort: 9090 }]
${peerAuthentication('pay', 'pay', undefined, { selector: { app: 'pay' }, ports: { 9090: 'DISABLE' } })}`;
    const yaml = mesh('{ host: "*.local", trafficPolicy: { tls: { mode: ISTIO_MUTUAL } } }') + twoPorts;
    const before = matrixOf(yaml);
    expect(before.get('app/web -> pay/pay:81')).toBe('fail(destinationrule-tls-conflict)');
    expect(before.get('app/web -> pay/pay:80')).toBe('ok');
    const plan = conflictPlans(yaml).find((p) => p.id.includes('pay-pay'));
    expect(plan?.body).toMatchObject({
      spec: {
        host: 'pay.pay.svc.cluster.local',
        trafficPolicy: {
          tls: { mode: 'ISTIO_MUTUAL' },
          portLevelSettings: [{ port: { number: 81 }, tls: { mode: 'DISABLE' } }],
        },
      },
    });
    const after = matrixOf(`${yaml}---\n${stringify(plan?.body)}`);
    expect(after.get('app/web -> pay/pay:81')).toBe('ok');
    expect(after.get('app/web -> pay/pay:80')).toBe('ok');
  });

  it('copies the wildcard’s exportTo even when it is "*": a rule without one follows the mesh default, maybe "."', () => {
    const yaml = `${mesh('{ host: "*.local", exportTo: ["*"], trafficPolicy: { tls: { mode: ISTIO_MUTUAL } } }')}${meshConfig('defaultDestinationRuleExportTo: ["."]')}`;
    const plans = conflictPlans(yaml);
    expect(plans[0]?.body).toMatchObject({ spec: { exportTo: ['*'] } });
    const after = matrixOf(yaml + plans.map((p) => `---\n${stringify(p.body)}`).join(''));
    expect(after.get('app/web -> legacy/old:80')).toBe('ok');
  });

  it('names each host’s rule validly and apart: readable when the name spells the host, else with a hash', () => {
    const wildcard = snapshotOf(mesh('{ host: "*.local", trafficPolicy: { tls: { mode: ISTIO_MUTUAL } } }'))
      .destinationRules[0] as NonNullable<ReturnType<typeof snapshotOf>['destinationRules'][number]>;
    const long = 'payments-gateway-internal-api-service-for-customers-v1';
    const hosts = [
      `${long}.legacy-east.svc.cluster.local`,
      `${long}.legacy-west.svc.cluster.local`,
      'Billing.Corp.local',
      'billing.corp.local',
      'old.legacy.svc.cluster.local',
      // Dots become hyphens: these two would both read cart-shop-eu.
      'cart.shop-eu.svc.cluster.local',
      'cart-shop.eu.svc.cluster.local',
      // A host of two labels reads like a service host without its .svc.cluster.local.
      'cart.shop',
      'cart.shop.svc.cluster.local',
    ];
    const names = hosts.map((host) => createHostDestinationRule(wildcard, host, 'DISABLE').target.name);
    expect(new Set(names).size).toBe(hosts.length);
    for (const name of names) expect(name).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    expect(names[3]).toBe('billing-corp-local-plaintext');
    expect(names[4]).toBe('old-legacy-plaintext');
    expect(names[8]).toBe('cart-shop-plaintext');
    for (const i of [0, 1, 2, 5, 6, 7]) expect(names[i]).toMatch(/-[0-9a-f]{8}-plaintext$/);
  });
});
