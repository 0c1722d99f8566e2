// A wildcard DestinationRule (a mesh-wide `*.local` ISTIO_MUTUAL rule in the root namespace) that breaks
// calls to one plaintext-only server: the fix is a rule for that host only, not flipping the wildcard
// to DISABLE, which would send plaintext to every STRICT service it covers.
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { diagnose } from '../../src/engine/diagnose.js';
import { app, matrixOf, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';

const NOW = new Date('2026-11-30T00:00:00Z');

const rule = (spec: string) => `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: all, namespace: istio-system }
spec: ${spec}
`;

const mesh = (spec: string) =>
  `${namespace('istio-system', 'none')}${rule(spec)}${namespace('app')}${peerAuthentication('app', 'default', 'STRICT')}${app('app', 'web')}${app('app', 'cli')}${namespace('legacy', 'none')}${app('legacy', 'old')}${app('legacy', 'older')}`;

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
});
