// A burst of commands costs one read and one diagnosis: the read is shared while it runs, its
// freshness counts from when it ended, and the whole-mesh diagnosis is computed once per snapshot.
import { describe, expect, it } from 'vitest';
import { diagnose, diagnoseShared } from '../../src/engine/diagnose.js';
import { cachedSource } from '../../src/slack/snapshot-cache.js';
import { loadManifestSnapshot } from '../../src/snapshot/load.js';
import type { LoadedSource } from '../../src/snapshot/source.js';

function controlledLoads() {
  const pending: ((value: LoadedSource) => void)[] = [];
  let calls = 0;
  const load = () => {
    calls++;
    return new Promise<LoadedSource>((resolve) => pending.push(resolve));
  };
  const finish = () => pending.shift()?.({} as LoadedSource);
  return { load, finish, calls: () => calls };
}

describe('cachedSource', () => {
  it('shares one read among the commands that arrive while it runs', async () => {
    const reads = controlledLoads();
    let now = 0;
    const get = cachedSource({}, 15_000, () => now, reads.load);
    const first = get();
    now = 5_000;
    const second = get();
    reads.finish();
    expect(await first).toBe(await second);
    expect(reads.calls()).toBe(1);
  });

  it('counts freshness from the end of a slow read, not from its start', async () => {
    const reads = controlledLoads();
    let now = 0;
    const get = cachedSource({}, 15_000, () => now, reads.load);
    const first = get();
    now = 20_000; // a read slower than the lifetime
    reads.finish();
    await first;
    now = 30_000; // 10 s after the read ended
    await Promise.race([get(), new Promise((r) => setTimeout(r, 10))]);
    expect(reads.calls()).toBe(1);
    now = 36_000; // 16 s after it ended: stale
    void get();
    expect(reads.calls()).toBe(2);
  });

  it('does not keep a failed read', async () => {
    let calls = 0;
    const get = cachedSource(
      {},
      15_000,
      () => 0,
      async () => {
        calls++;
        throw new Error('API server unreachable');
      },
    );
    await expect(get()).rejects.toThrow('unreachable');
    await expect(get()).rejects.toThrow('unreachable');
    expect(calls).toBe(2);
  });
});

describe('diagnoseShared', () => {
  it('runs the whole mesh once per snapshot and scopes it per namespace like diagnose does', async () => {
    const { snapshot } = await loadManifestSnapshot(['examples/mesh']);
    const whole = diagnoseShared(snapshot);
    expect(diagnoseShared(snapshot)).toBe(whole);
    for (const ns of ['shop', 'legacy']) {
      const scoped = diagnoseShared(snapshot, ns);
      expect(scoped.mesh).toBe(whole.mesh);
      expect(scoped.findings.map((f) => [f.code, f.message])).toEqual(
        diagnose(snapshot, { namespace: ns }).findings.map((f) => [f.code, f.message]),
      );
    }
  });
});
