import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDigest } from '../../src/digest/build-digest.js';
import { diffPosture } from '../../src/digest/posture.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { app, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';
import { runCli } from '../helpers/run-cli.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const day1 = new Date('2026-11-28T09:00:00Z');
const day2 = new Date('2026-11-29T09:00:00Z');

function mesh(extra = ''): string {
  return (
    namespace('shop') +
    app('shop', 'cart') +
    namespace('legacy', 'none') +
    app('legacy', 'batch') +
    namespace('pay') +
    app('pay', 'api') +
    extra
  );
}

describe('posture digest', () => {
  it('gives each namespace its mode, migration stage and next safe step', () => {
    const digest = buildDigest(snapshotOf(mesh(peerAuthentication('pay', 'default', 'STRICT'))), day1);
    const byName = Object.fromEntries(digest.posture.namespaces.map((n) => [n.namespace, n]));
    expect(byName.pay).toMatchObject({ mode: 'STRICT', stage: 'strict' });
    expect(byName.legacy).toMatchObject({ mode: 'no-proxy', stage: 'add-sidecars', withoutProxy: ['batch'] });
    expect(byName.legacy?.nextStep).toContain('inject sidecars into batch');
    expect(byName.shop).toMatchObject({
      mode: 'PERMISSIVE',
      stage: 'switch-to-strict',
      wouldBreakIfStrict: ['legacy/batch'],
    });
    expect(byName.shop?.plaintextPorts).toEqual(['cart:8080']);
    expect(digest.posture.score).toBe(33);
  });

  it('counts no UDP container port as a plaintext port: the sidecar never carries it, as the matrix judges no pair there', () => {
    const statsd = `---
apiVersion: apps/v1
kind: Deployment
metadata: { name: statsd, namespace: shop }
spec:
  selector: { matchLabels: { app: statsd } }
  template:
    metadata: { labels: { app: statsd } }
    spec: { containers: [{ name: s, ports: [{ containerPort: 8125, protocol: UDP }, { containerPort: 9102 }] }] }
`;
    const digest = buildDigest(snapshotOf(mesh(statsd)), day1);
    const shop = digest.posture.namespaces.find((n) => n.namespace === 'shop');
    expect(shop?.plaintextPorts).toEqual(['cart:8080', 'statsd:9102']);
  });

  it('says what changed since the previous digest, across two days, from the store', () => {
    const dir = mkdtempSync(join(tmpdir(), 'digest-'));
    const store = new SqliteStore(join(dir, 'state.db'));
    const first = buildDigest(snapshotOf(mesh()), day1, store);
    expect(first.changes).toEqual([{ what: 'first digest: nothing to compare with yet' }]);
    const second = buildDigest(
      snapshotOf(mesh(peerAuthentication('shop', 'default', 'STRICT'))),
      day2,
      store,
    );
    expect(second.previousAt).toBe(day1.toISOString());
    expect(second.changes).toContainEqual({ namespace: 'shop', what: 'mode PERMISSIVE → STRICT' });
    expect(second.changes).toContainEqual({
      namespace: 'shop',
      what: 'no longer accepts plaintext on cart:8080',
    });
    expect(second.changes).toContainEqual({ what: 'score 0 → 33' });
    store.close();
    // The store survives a restart of the process (a new connection to the same file).
    const reopened = new SqliteStore(join(dir, 'state.db'));
    expect(reopened.latestPosture('mesh')?.takenAt).toBe(day2.toISOString());
    reopened.close();
  });

  it('marks lost protection as a regression (a weaker mode, ports newly accepting plaintext), not the way back', () => {
    const strict = buildDigest(snapshotOf(mesh(peerAuthentication('shop', 'default', 'STRICT'))), day1);
    const permissive = buildDigest(snapshotOf(mesh()), day2);
    const regressions = diffPosture(strict.posture, permissive.posture).filter((c) => c.regression);
    expect(regressions).toEqual([
      { namespace: 'shop', what: 'mode STRICT → PERMISSIVE', regression: true },
      { namespace: 'shop', what: 'now accepts plaintext on cart:8080', regression: true },
    ]);
    expect(diffPosture(permissive.posture, strict.posture).filter((c) => c.regression)).toEqual([]);
  });

  it('with nothing changed, the text says "No changes since" the last digest', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'digest-')), 'state.db');
    const digest = (now: Date) =>
      runCli(['digest', '-f', `${ROOT}examples/mesh`, '--state', state], { cwd: ROOT, now });
    expect((await digest(day1)).code).toBe(0);
    const { code, stdout } = await digest(day2);
    expect(code).toBe(0);
    expect(stdout.endsWith(`\nNo changes since ${day1.toISOString()}.\n`)).toBe(true);
  });

  it('a lease has one holder at a time until it expires', () => {
    const store = new SqliteStore(':memory:');
    expect(store.acquireLease('digest', 'replica-a', 1000, 60_000)).toBe(true);
    expect(store.acquireLease('digest', 'replica-b', 2000, 60_000)).toBe(false);
    expect(store.acquireLease('digest', 'replica-a', 3000, 60_000)).toBe(true);
    expect(store.acquireLease('digest', 'replica-b', 70_000, 60_000)).toBe(true);
    store.close();
  });

  it('mtls-doctor digest -f examples -o json shows per-namespace modes and the next migration step', async () => {
    const { code, stdout } = await runCli(['digest', '-f', `${ROOT}examples/mesh`, '-o', 'json'], {
      cwd: ROOT,
      now: day1,
    });
    expect(code).toBe(0);
    const { posture } = JSON.parse(stdout);
    const legacy = posture.namespaces.find((n: { namespace: string }) => n.namespace === 'legacy');
    expect(legacy).toMatchObject({ mode: 'no-proxy', stage: 'add-sidecars' });
    expect(posture.namespaces.find((n: { namespace: string }) => n.namespace === 'payments')).toMatchObject({
      mode: 'STRICT',
    });
    expect(posture.namespaces.every((n: { nextStep: string }) => n.nextStep.length > 0)).toBe(true);
  });
});
