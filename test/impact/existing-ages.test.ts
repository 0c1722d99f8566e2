// Istio keeps the oldest policy or rule of a scope, and the API server stamps a new object when it is
// created. A diff whose base and pull request are both files (no timestamps) must still treat what the
// base holds as older than what the change adds, or the names decide: a new `aa-*` object would win
// over an existing `zz-*` one, and the tool would report repairs and breaks that never happen.
import { describe, expect, it } from 'vitest';
import { impact } from '../../src/engine/impact.js';
import { planImpact } from '../../src/impact/plan-impact.js';
import { app, destinationRule, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';

const NOW = new Date('2026-11-29T00:00:00Z');
const mesh = namespace('a') + app('a', 'client') + namespace('b') + app('b', 'server');
const withPlaintextCaller = mesh + namespace('legacy', 'none') + app('legacy', 'plain');
const names = (pairs: readonly { from: string; to: string }[]) => pairs.map((p) => `${p.from} → ${p.to}`);

describe('objects the base holds are older than those the change adds', () => {
  it('a new namespace-wide PERMISSIVE policy named before the existing STRICT one repairs nothing', () => {
    const base = withPlaintextCaller + peerAuthentication('b', 'zz-strict', 'STRICT');
    const result = impact(
      snapshotOf(base),
      snapshotOf(base + peerAuthentication('b', 'aa-permissive', 'PERMISSIVE')),
      { now: NOW },
    );
    expect(names(result.repaired)).toEqual([]);
    const conflict = result.findings.opened.find((f) => f.code === 'peerauthentication-conflict');
    expect(conflict?.resource.name).toBe('aa-permissive');
    expect(conflict?.why[0]).toBe(
      'b/zz-strict exists and b/aa-permissive has no creationTimestamp yet: created now, it is the newer one.',
    );
  });

  it('an exported policy renamed in the change is created anew: the timestamp its file keeps is not its age', () => {
    const older = peerAuthentication('b', 'a-permissive', 'PERMISSIVE', { created: '2021-01-01T00:00:00Z' });
    const strict = peerAuthentication('b', 'b-strict', 'STRICT', { created: '2022-01-01T00:00:00Z' });
    const renamed = older.replace('name: a-permissive', 'name: z-permissive');
    const result = impact(
      snapshotOf(withPlaintextCaller + older + strict),
      snapshotOf(withPlaintextCaller + renamed + strict),
      { now: NOW },
    );
    // z-permissive is the newest once created: b-strict (2022) wins and the plaintext call breaks.
    expect(names(result.broken)).toEqual(['legacy/plain → b/server:80']);
  });

  it("kubectl's `creationTimestamp: null` reads as no timestamp, not as an invalid object", () => {
    const snapshot = snapshotOf(
      peerAuthentication('b', 'p', 'STRICT').replace(
        'namespace: b',
        'namespace: b\n  creationTimestamp: null',
      ),
    );
    expect(snapshot.peerAuthentications[0]?.meta.creationTimestamp).toBeUndefined();
  });

  it('a new DestinationRule for the same host merges under the existing one: its DISABLE breaks nothing', () => {
    const base =
      mesh +
      peerAuthentication('b', 'default', 'STRICT') +
      destinationRule('b', 'zz-server', 'server', 'ISTIO_MUTUAL');
    const result = impact(
      snapshotOf(base),
      snapshotOf(base + destinationRule('b', 'aa-server', 'server', 'DISABLE')),
      { now: NOW },
    );
    expect(names(result.broken)).toEqual([]);
  });

  it('the base’s timestamps hold for the same objects written without them: no change at all', () => {
    const policies = (created: boolean) =>
      peerAuthentication('b', 'zz-strict', 'STRICT', created ? { created: '2023-01-01T00:00:00Z' } : {}) +
      peerAuthentication(
        'b',
        'aa-permissive',
        'PERMISSIVE',
        created ? { created: '2024-01-01T00:00:00Z' } : {},
      );
    const result = impact(
      snapshotOf(withPlaintextCaller + policies(true)),
      snapshotOf(withPlaintextCaller + policies(false)),
      { now: NOW },
    );
    expect(result.changed).toEqual([]);
    expect(names(result.repaired)).toEqual([]);
    expect(result.findings).toEqual({ opened: [], resolved: [], reworded: [] });
  });

  it('a fix that rewrites an existing policy keeps its age; one it creates is still the newest', () => {
    const live = snapshotOf(
      withPlaintextCaller +
        peerAuthentication('b', 'zz-strict', 'STRICT', { created: '2023-01-01T00:00:00Z' }) +
        peerAuthentication('b', 'aa-strict', 'STRICT', { created: '2024-01-01T00:00:00Z' }),
    );
    const written = (name: string, mode: string) => ({
      object: {
        apiVersion: 'security.istio.io/v1',
        kind: 'PeerAuthentication',
        metadata: { name, namespace: 'b' },
        spec: { mtls: { mode } },
      },
    });
    // zz-strict is the oldest, so it applies: making it PERMISSIVE repairs the plaintext caller.
    expect(planImpact(live, written('zz-strict', 'PERMISSIVE'), { now: NOW })).toMatchObject({ repairs: 1 });
    // aa-strict is ignored whatever it says, and a new policy is created the newest.
    expect(planImpact(live, written('aa-strict', 'PERMISSIVE'), { now: NOW })).toMatchObject({ repairs: 0 });
    expect(planImpact(live, written('new', 'PERMISSIVE'), { now: NOW })).toMatchObject({ repairs: 0 });
  });
});
