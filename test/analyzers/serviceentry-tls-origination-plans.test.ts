// The plan offered for calls to an external host with the wrong TLS takes effect for the failing
// clients: it patches the host's own rule they use (a second rule beside it would be merged and lose),
// or adds the host's rule where the wildcard they use lives (their own namespace is searched first).
// Applied, as the impact engine of `diff --base` and `fix` judges it, it repairs those calls and breaks none.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose.js';
import { externalRuleName } from '../../src/remediation/object-names.js';
import { app, destinationRule, namespace, snapshotOf } from '../helpers/mesh.js';
import { callsChangedBy, callsChangedByPlans } from '../helpers/plan-effect.js';

const NOW = new Date('2026-11-30T00:00:00Z');

const external = (ns: string, host: string, ports: string) => `---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ext, namespace: ${ns} }
spec:
  hosts: [${host}]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: ${ports}
`;

const HTTPS = '[{ number: 443, name: https, protocol: HTTPS }]';
const base = `${namespace('istio-system', 'none')}${namespace('a')}${app('a', 'client')}${namespace('b')}${app('b', 'server')}`;

function findings(yaml: string) {
  return diagnose(snapshotOf(yaml), { now: NOW }).findings.filter(
    (f) => f.code === 'serviceentry-tls-origination',
  );
}

describe('serviceentry-tls-origination plans', () => {
  it('a wildcard in the client’s namespace: the host’s rule goes there, not into the ServiceEntry’s namespace', () => {
    const yaml = `${base}${external('b', 'api.example.com', HTTPS)}${destinationRule('a', 'all-mtls', '*.com', 'ISTIO_MUTUAL')}`;
    const [f] = findings(yaml);
    expect(f?.remediations.map((p) => p.id)).toEqual([
      'create-external-dr-disable:DestinationRule/a/api-example-com-tls',
    ]);
    expect(f?.fix).toContain('in a beside a/all-mtls (*.com)');
    const plan = f?.remediations[0] as NonNullable<NonNullable<typeof f>['remediations'][number]>;
    const { repaired, broken } = callsChangedBy(plan, yaml);
    expect(repaired).toEqual(['a/client -> b/api.example.com:443']);
    expect(broken).toEqual([]);
    // Where it was created before, the client's own wildcard still won.
    const inEntryNamespace = { ...plan, target: { ...plan.target, namespace: 'b' } };
    const body = plan.body as { metadata: Record<string, unknown> };
    const moved = { ...inEntryNamespace, body: { ...body, metadata: { ...body.metadata, namespace: 'b' } } };
    expect(callsChangedBy(moved, yaml).repaired).toEqual([]);
  });

  it('the host’s own rule in the same namespace is patched: a second rule beside it would be merged and lose', () => {
    const rule = destinationRule('a', 'ext', 'api.example.com', 'ISTIO_MUTUAL').replace(
      'namespace: a',
      'namespace: a\n  creationTimestamp: "2025-01-01T00:00:00Z"',
    );
    const yaml = `${base}${external('a', 'api.example.com', HTTPS)}${rule}`;
    const [f] = findings(yaml);
    expect(f?.remediations.map((p) => p.id)).toEqual([
      'set-tls-disable:DestinationRule/a/ext:spec.trafficPolicy.tls',
    ]);
    const plan = f?.remediations[0] as NonNullable<NonNullable<typeof f>['remediations'][number]>;
    const { repaired, broken } = callsChangedBy(plan, yaml);
    expect(repaired).toEqual(['a/client -> a/api.example.com:443', 'b/server -> a/api.example.com:443']);
    expect(broken).toEqual([]);
  });

  it('ports that need different TLS: one rule with a mode per port, or a port entry per mode in the host’s own rule', () => {
    // 80 is plain HTTP to the server's TLS port (SIMPLE originates it); 443 is the app's own TLS (DISABLE).
    const ports =
      '[{ number: 80, name: http, protocol: HTTP, targetPort: 443 }, { number: 443, name: https, protocol: HTTPS }]';
    // b/server uses the wildcard too, as the rule of the ServiceEntry's namespace a.
    const both = [
      'a/client -> a/api.example.com:443',
      'a/client -> a/api.example.com:80',
      'b/server -> a/api.example.com:443',
      'b/server -> a/api.example.com:80',
    ];
    const wildcard = `${base}${external('a', 'api.example.com', ports)}${destinationRule('a', 'all-mtls', '*.com', 'ISTIO_MUTUAL')}`;
    const created = findings(wildcard).map((f) => f.remediations);
    // Both findings come to the one rule for the host (two rules for it would be merged), listed once,
    // under the first finding.
    expect(created.map((plans) => plans.map((p) => p.id))).toEqual([
      ['create-external-dr-ports:DestinationRule/a/api-example-com-tls'],
      [],
    ]);
    expect(created[0]?.[0]?.body).toMatchObject({
      spec: {
        trafficPolicy: {
          portLevelSettings: [
            { port: { number: 80 }, tls: { mode: 'SIMPLE', sni: 'api.example.com' } },
            { port: { number: 443 }, tls: { mode: 'DISABLE' } },
          ],
        },
      },
    });
    const plan = created[0]?.[0] as NonNullable<NonNullable<(typeof created)[number]>[number]>;
    expect(callsChangedBy(plan, wildcard)).toMatchObject({ repaired: both, broken: [] });

    const own = `${base}${external('a', 'api.example.com', ports)}${destinationRule('a', 'ext', 'api.example.com', 'ISTIO_MUTUAL')}`;
    const patches = findings(own).flatMap((f) => f.remediations);
    expect(patches.map((p) => p.id).sort()).toEqual([
      'set-port-tls-disable:DestinationRule/a/ext:443',
      'set-port-tls-simple:DestinationRule/a/ext:80',
    ]);
    // Each repairs its port, for both clients, and breaks nothing (the other port stays as it is).
    for (const patch of patches) {
      const port = patch.id.split(':').at(-1);
      expect(callsChangedBy(patch, own)).toMatchObject({
        repaired: [`a/client -> a/api.example.com:${port}`, `b/server -> a/api.example.com:${port}`],
        broken: [],
      });
    }
  });

  it('names each host’s rule apart: a hash where dots and hyphens could meet, or a long host is shortened', () => {
    expect(externalRuleName('api.example.com', 'tls')).toBe('api-example-com-tls');
    expect(externalRuleName('api.x.com', 'tls')).not.toBe(externalRuleName('api-x.com', 'tls'));
    expect(externalRuleName('*.x.com', 'tls')).not.toBe(externalRuleName('wildcard.x.com', 'tls'));
    const long = 'payments-gateway-internal-api-service-for-customers-v1.partner';
    const names = [`${long}-east.example.com`, `${long}-west.example.com`].map((h) =>
      externalRuleName(h, 'tls'),
    );
    expect(new Set(names).size).toBe(2);
    for (const name of [...names, externalRuleName('api-x.com', 'tls')]) {
      expect(name).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
      expect(name).toMatch(/-[0-9a-f]{8}-tls$/);
    }
  });

  it('a port declared `https` in lower case is the app’s own TLS, as Istio reads protocols case-blind', () => {
    const lower = '[{ number: 443, name: https, protocol: https }]';
    const yaml = `${base}${external('b', 'api.example.com', lower)}${destinationRule('a', 'ext', 'api.example.com', 'SIMPLE')}`;
    const [f] = findings(yaml);
    expect(f?.message).toContain('the app already speaks TLS');
    expect(f?.message).not.toContain('serves as plaintext');
  });

  it('port 443 with no protocol or TCP: the app’s bytes pass unread, so no failure, a note, and never SIMPLE around them', () => {
    for (const protocol of ['', ', protocol: TCP']) {
      const ports = `[{ number: 443, name: https${protocol} }]`;
      const plain = `${base}${external('b', 'api.example.com', ports)}`;
      // Without a rule the sidecar forwards the app's own https unchanged: that works.
      const [note, ...rest] = findings(plain);
      expect(rest).toEqual([]);
      expect(note?.severity).toBe('info');
      expect(note?.message).toContain('they work if the app calls https://api.example.com itself');
      expect(note?.remediations).toEqual([]);
      // Istio mTLS to the host does fail; the fix passes the app's bytes, it does not wrap them in SIMPLE.
      const mutual = `${plain}${destinationRule('a', 'ext', 'api.example.com', 'ISTIO_MUTUAL')}`;
      const failing = findings(mutual).filter((f) => f.severity === 'error');
      expect(failing.flatMap((f) => f.remediations.map((p) => p.id))).toEqual([
        'set-tls-disable:DestinationRule/a/ext:spec.trafficPolicy.tls',
      ]);
      const plan = failing[0]?.remediations[0] as NonNullable<
        (typeof failing)[number]['remediations'][number]
      >;
      expect(callsChangedBy(plan, mutual)).toMatchObject({
        repaired: ['a/client -> b/api.example.com:443'],
        broken: [],
      });
    }
  });

  it('MUTUAL whose credentialName sidecars ignore: each caller gets the rule’s tls with a workloadSelector in its namespace, never SIMPLE', () => {
    const ports = '[{ number: 80, name: http, protocol: HTTP, targetPort: 443 }]';
    const tls = '\n      credentialName: partner-client-cert\n      sni: api.example.com';
    const yaml = `${base}${external('b', 'api.example.com', ports)}${destinationRule('b', 'ext', 'api.example.com', 'MUTUAL', tls)}`;
    const [f] = findings(yaml).filter((x) => x.severity === 'error');
    expect(f?.message).toContain("sidecars ignore the DestinationRule's MUTUAL with credentialName");
    expect(f?.fix).toContain('SIMPLE would still be rejected');
    const plans = f?.remediations ?? [];
    expect(plans.map((p) => p.action)).toEqual(['create', 'create']);
    expect(plans.map((p) => p.target.namespace).sort()).toEqual(['a', 'b']);
    for (const plan of plans) {
      const ns = plan.target.namespace;
      const caller = ns === 'a' ? 'client' : 'server';
      expect(plan.body).toMatchObject({
        spec: {
          host: 'api.example.com',
          workloadSelector: { matchLabels: { app: caller } },
          trafficPolicy: {
            tls: { mode: 'MUTUAL', credentialName: 'partner-client-cert', sni: 'api.example.com' },
          },
        },
      });
      // Each repairs its own caller's calls and leaves the other's as they are.
      expect(callsChangedBy(plan, yaml)).toMatchObject({
        repaired: [`${ns}/${caller} -> b/api.example.com:80`],
        broken: [],
      });
    }
  });

  const credentialRule = (policy: string) => `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ext, namespace: a }
spec:
  host: api.example.com
  trafficPolicy:
${policy}`;
  const clientOnly = `${namespace('istio-system', 'none')}${namespace('a')}${app('a', 'client')}`;
  const MUTUAL_TLS = '{ mode: MUTUAL, credentialName: partner-client-cert, sni: api.example.com }';
  const credentialPlans = (yaml: string) => {
    const plans = diagnose(snapshotOf(yaml), { now: NOW })
      .findings.flatMap((f) => f.remediations)
      .filter((p) => p.id.startsWith('create-credential-dr:'));
    return plans.filter((p, i) => plans.findIndex((o) => o.id === p.id) === i);
  };

  it('credentialName on two ports: one copy per caller holding both port entries, which repairs both ports (a workload uses one selector rule per host)', () => {
    const ports =
      '[{ number: 80, name: http, protocol: HTTP, targetPort: 443 }, { number: 8080, name: http-m, protocol: HTTP, targetPort: 443 }]';
    const yaml = `${clientOnly}${external('a', 'api.example.com', ports)}${credentialRule(`    portLevelSettings:
    - port: { number: 80 }
      tls: ${MUTUAL_TLS}
    - port: { number: 8080 }
      tls: ${MUTUAL_TLS}
`)}`;
    const plans = credentialPlans(yaml);
    expect(plans).toHaveLength(1);
    const [plan] = plans;
    if (!plan) throw new Error('no plan');
    expect(plan.body).toMatchObject({
      spec: {
        workloadSelector: { matchLabels: { app: 'client' } },
        trafficPolicy: {
          portLevelSettings: [
            { port: { number: 80 }, tls: { mode: 'MUTUAL', credentialName: 'partner-client-cert' } },
            { port: { number: 8080 }, tls: { mode: 'MUTUAL', credentialName: 'partner-client-cert' } },
          ],
        },
      },
    });
    const failing = ['a/client -> a/api.example.com:80', 'a/client -> a/api.example.com:8080'];
    expect(callsChangedBy(plan, yaml)).toMatchObject({ repaired: failing, broken: [] });
    expect(callsChangedByPlans(yaml, plans)).toMatchObject({ repaired: failing, broken: [] });
  });

  it('a top-level credential beside a port entry of DISABLE: the copy keeps the entry, so the port it serves keeps working', () => {
    const ports =
      '[{ number: 80, name: http, protocol: HTTP, targetPort: 443 }, { number: 8080, name: http-m, protocol: HTTP }]';
    const yaml = `${clientOnly}${external('a', 'api.example.com', ports)}${credentialRule(`    tls: ${MUTUAL_TLS}
    portLevelSettings:
    - port: { number: 8080 }
      tls: { mode: DISABLE }
`)}`;
    const [plan, ...others] = credentialPlans(yaml);
    expect(others).toEqual([]);
    if (!plan) throw new Error('no plan');
    expect(plan.body).toMatchObject({
      spec: {
        trafficPolicy: {
          tls: { mode: 'MUTUAL', credentialName: 'partner-client-cert' },
          portLevelSettings: [{ port: { number: 8080 }, tls: { mode: 'DISABLE' } }],
        },
      },
    });
    expect(callsChangedBy(plan, yaml)).toMatchObject({
      repaired: ['a/client -> a/api.example.com:80'],
      broken: [],
    });
  });
});
