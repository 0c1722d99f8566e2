// Each digest channel compares with its own last digest. Stores written before that kept one shared
// `mesh` baseline (postures without `gaps`); they keep working: a channel without a baseline of its
// own starts from the shared one, and on demand a channel without scheduled digests compares with it.
import { describe, expect, it } from 'vitest';
import { channelScope, MESH_SCOPE, seedChannelBaselines } from '../../src/digest/baseline.js';
import type { NamespacePosture, Posture } from '../../src/digest/posture.js';
import { buildDigestMessage } from '../../src/slack/digest-service.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

const row = (namespace: string, mode: 'STRICT' | 'PERMISSIVE'): NamespacePosture => ({
  namespace,
  mode,
  workloads: 1,
  withoutProxy: [],
  plaintextPorts: mode === 'STRICT' ? [] : [`${namespace}-api:8080`],
  errors: 0,
  warnings: 0,
  expiringCertificates: 0,
  stage: mode === 'STRICT' ? 'strict' : 'switch-to-strict',
  nextStep: 'x',
  wouldBreakIfStrict: [],
});

/** As an earlier version stored it: no `gaps` field. */
const posture = (takenAt: string, billing: 'STRICT' | 'PERMISSIVE'): Posture => ({
  takenAt,
  meshMode: 'PERMISSIVE',
  score: billing === 'STRICT' ? 100 : 50,
  namespaces: [row('shop', 'STRICT'), row('billing', billing)],
});
const complete = (p: Posture): Posture => ({ ...p, gaps: [] });

describe('per-channel digest baselines', () => {
  it('after an upgrade, each digest channel starts from the shared baseline and both see the change', async () => {
    const store = new SqliteStore(':memory:');
    store.savePosture(MESH_SCOPE, posture('2026-03-01T09:00:00.000Z', 'STRICT'));
    seedChannelBaselines(store, ['C0A', 'C0B', 'C0A']);
    const today = complete(posture('2026-03-02T09:00:00.000Z', 'PERMISSIVE'));
    for (const channel of ['C0A', 'C0B']) {
      const { digest, message } = await buildDigestMessage(today, store, { channel, save: true });
      expect(digest.previousAt).toBe('2026-03-01T09:00:00.000Z');
      expect(digest.changes).toContainEqual({
        namespace: 'billing',
        what: 'mode STRICT → PERMISSIVE',
        regression: true,
      });
      expect(JSON.stringify(message.blocks)).toContain('`billing`: mode STRICT → PERMISSIVE');
    }
    // Both went into the shared history the trend picture draws.
    expect(store.postureHistory(MESH_SCOPE, '2026-03-02T00:00:00.000Z')).toHaveLength(2);
    // The next day, nothing changed: said as such, not as an empty list.
    const next = complete({ ...today, takenAt: '2026-03-03T09:00:00.000Z' });
    const { digest, message } = await buildDigestMessage(next, store, { channel: 'C0B', save: true });
    expect(digest).toMatchObject({ previousAt: today.takenAt, changes: [] });
    expect(JSON.stringify(message.blocks)).toContain(`*No changes since ${today.takenAt}.*`);
    store.close();
  });

  it('seeding keeps a channel baseline that exists and seeds nothing without a shared one', () => {
    const store = new SqliteStore(':memory:');
    seedChannelBaselines(store, ['C0A']);
    expect(store.latestPosture(channelScope('C0A'))).toBeUndefined();
    store.savePosture(channelScope('C0A'), posture('2026-03-05T09:00:00.000Z', 'STRICT'));
    store.savePosture(MESH_SCOPE, posture('2026-03-06T09:00:00.000Z', 'PERMISSIVE'));
    seedChannelBaselines(store, ['C0A']);
    expect(store.latestPosture(channelScope('C0A'))?.takenAt).toBe('2026-03-05T09:00:00.000Z');
    store.close();
  });

  it('a first scheduled digest with no stored history says so', async () => {
    const store = new SqliteStore(':memory:');
    const { digest } = await buildDigestMessage(
      complete(posture('2026-03-02T09:00:00.000Z', 'STRICT')),
      store,
      {
        channel: 'C0A',
        save: true,
      },
    );
    expect(digest.changes).toEqual([{ what: 'first digest: nothing to compare with yet' }]);
    store.close();
  });

  it('on demand compares with the channel’s own baseline, else the shared one, and stores nothing', async () => {
    const store = new SqliteStore(':memory:');
    store.savePosture(MESH_SCOPE, posture('2026-03-01T09:00:00.000Z', 'PERMISSIVE'));
    store.savePosture(channelScope('C0A'), posture('2026-02-28T09:00:00.000Z', 'STRICT'));
    const now = complete(posture('2026-03-02T09:00:00.000Z', 'PERMISSIVE'));
    const own = await buildDigestMessage(now, store, { channel: 'C0A', save: false });
    expect(own.digest.previousAt).toBe('2026-02-28T09:00:00.000Z');
    expect(own.digest.changes).toContainEqual({
      namespace: 'billing',
      what: 'mode STRICT → PERMISSIVE',
      regression: true,
    });
    const shared = await buildDigestMessage(now, store, { channel: 'C0ASK', save: false });
    expect(shared.digest).toMatchObject({ previousAt: '2026-03-01T09:00:00.000Z', changes: [] });
    expect(store.latestPosture(MESH_SCOPE)?.takenAt).toBe('2026-03-01T09:00:00.000Z');
    expect(store.latestPosture(channelScope('C0ASK'))).toBeUndefined();
    store.close();
  });
});
