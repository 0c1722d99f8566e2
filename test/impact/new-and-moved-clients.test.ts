// Pairs only one side has were never compared: a pull request that moved a client out of an injected
// namespace, or added a client without a sidecar, next to a STRICT service, "broke nothing" and passed
// the gate. A moved client is compared with itself where it was; a new pair that fails is listed as
// failing from the start and stops the gate (exit 1) as a break does.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { impact } from '../../src/engine/impact.js';
import { movedClients } from '../../src/impact/moved-clients.js';
import { planImpact } from '../../src/impact/plan-impact.js';
import { breakCount, impactSummaryLines } from '../../src/render/diff-summary.js';
import { app, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';
import { runCli } from '../helpers/run-cli.js';

const NOW = new Date('2026-11-29T00:00:00Z');

/** A Deployment that only calls out (no Service in front of it). */
function client(ns: string, name: string): string {
  return `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers: [{name: ${name}, image: example/${name}}]
`;
}

const mesh =
  namespace('a') +
  namespace('b') +
  namespace('legacy', 'none') +
  app('b', 'server') +
  peerAuthentication('b', 'default', 'STRICT') +
  client('legacy', 'plain');
const base = mesh + client('a', 'client');
const moved = mesh + client('legacy', 'client');
const added = base + client('legacy', 'batch');
const calls = (pairs: readonly { from: string; to: string }[]) => pairs.map((p) => `${p.from} → ${p.to}`);

describe('a client the change moves is compared with itself where it was', () => {
  it('out of an injected namespace, its mTLS call to a STRICT server becomes plaintext: broken', () => {
    const result = impact(snapshotOf(base), snapshotOf(moved), { now: NOW });
    expect(calls(result.broken)).toEqual(['legacy/client → b/server:80']);
    expect(result.broken[0]).toMatchObject({
      movedFrom: 'a/client',
      before: { outcome: 'ok', client: { proxy: 'sidecar' } },
      client: { proxy: 'none' },
      reason: 'strict-plaintext-clients',
    });
    expect(result.newFailing).toEqual([]);
  });

  it('a client that failed where it was and fails where it goes is no news', () => {
    const result = impact(
      snapshotOf(moved),
      snapshotOf(mesh + client('c', 'client') + namespace('c', 'none')),
      {
        now: NOW,
      },
    );
    expect(result.broken).toEqual([]);
    expect(result.newFailing).toEqual([]);
  });

  it('only one workload of that kind and name leaves and one arrives: otherwise which went where is unknown', () => {
    const twoLeave = snapshotOf(base + client('b', 'client'));
    const oneArrives = snapshotOf(mesh + client('legacy', 'client'));
    expect(movedClients(twoLeave.workloads, oneArrives.workloads).size).toBe(0);
    const one = movedClients(snapshotOf(base).workloads, oneArrives.workloads);
    expect([...one].map(([to, from]) => `${from.meta.namespace} → ${to}`)).toEqual([
      'a → Deployment/legacy/client',
    ]);
  });
});

describe('a new pair that fails', () => {
  it('a client added without a sidecar next to a STRICT server fails from the start', () => {
    const result = impact(snapshotOf(base), snapshotOf(added), { now: NOW });
    expect(result.broken).toEqual([]);
    expect(calls(result.newFailing)).toEqual(['legacy/batch → b/server:80']);
    expect(result.newFailing[0]).toMatchObject({
      reason: 'strict-plaintext-clients',
      causes: [{ kind: 'Deployment', namespace: 'legacy', name: 'batch', change: 'added' }],
    });
    expect(result.counts).toEqual({ broken: 0, repaired: 0, newFailing: 1 });
  });

  it('a service port added where an existing client already fails the same way is listed, not a break', () => {
    // legacy/plain already cannot call b/server (STRICT); the change adds b/other beside it.
    const result = impact(snapshotOf(base), snapshotOf(base + app('b', 'other')), { now: NOW });
    expect(calls(result.newFailing)).toEqual(['legacy/plain → b/other:80']);
    expect(result.newFailing[0]?.newClient).toBe(false);
    expect(breakCount(result)).toBe(0);
    expect(impactSummaryLines(result)[0]).toContain(
      "1 new call fails from the start (legacy/plain → b/other:80); 1 of them as the client's other calls already fail, not counted as breaks",
    );
    // A client the change adds is news: it counts.
    const withClient = impact(snapshotOf(base), snapshotOf(added), { now: NOW });
    expect(withClient.newFailing[0]?.newClient).toBe(true);
    expect(breakCount(withClient)).toBe(1);
  });

  it('a plan that re-creates a Service plaintext clients cannot reach stops an approval as a break does', () => {
    // A change alert's revert of a deleted Service: b/server's pods are there, its Service is not.
    const [deployment] = app('b', 'server').split('---\napiVersion: v1\nkind: Service');
    const live = snapshotOf(
      namespace('b') +
        peerAuthentication('b', 'default', 'STRICT') +
        namespace('legacy', 'none') +
        client('legacy', 'plain') +
        deployment,
    );
    const effect = planImpact(
      live,
      {
        object: {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'server', namespace: 'b' },
          spec: { selector: { app: 'server' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
        },
      },
      { now: NOW },
    );
    expect(effect.lines[0]).toContain('1 new call fails from the start (legacy/plain → b/server:80)');
    expect(effect.breaks).toBe(1);
  });

  it('a client added with a sidecar fails nothing', () => {
    const result = impact(snapshotOf(base), snapshotOf(base + client('a', 'batch')), { now: NOW });
    expect(result.newFailing).toEqual([]);
  });
});

describe('mtls-doctor diff', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-new-clients-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, yaml: string) => {
    const path = join(dir, name);
    writeFileSync(path, yaml);
    return path;
  };
  const basePath = file('base.yaml', base);
  const diff = (after: string, ...args: string[]) =>
    runCli(['diff', '--base', basePath, '-f', file(`${args.join('')}after.yaml`, after), ...args], {
      now: NOW,
    });

  it('a moved client that breaks exits 1 and says where it came from', async () => {
    const run = await diff(moved);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('✗ legacy/client (moved from a/client) → b/server:80\n      before: ok');
    expect(run.stdout).toContain('breaks 1 call(s), repairs 0');
  });

  it('a new client that fails exits 1 in every format', async () => {
    const text = await diff(added);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      'New calls that fail (1)\n  ✗ legacy/batch → b/server:80\n      before: no such call (new in this change)',
    );
    expect(text.stdout).toContain('breaks 0 call(s), repairs 0, 1 new call fails from the start');

    const json = await diff(added, '-o', 'json');
    expect(json.code).toBe(1);
    const out = JSON.parse(json.stdout);
    expect(calls(out.newFailing)).toEqual(['legacy/batch → b/server:80']);
    expect(out.counts).toEqual({ broken: 0, repaired: 0, newFailing: 1 });

    const markdown = await diff(added, '-o', 'markdown');
    expect(markdown.stdout).toContain(
      ':x: **Breaks 0 call(s)**, repairs 0, 1 new call fails from the start.',
    );
    expect(markdown.stdout).toContain(
      '| `legacy/batch` | `b/server:80` | new → **strict-plaintext-clients** |',
    );

    const sarif = await diff(added, '-o', 'sarif');
    const results = JSON.parse(sarif.stdout).runs[0].results;
    expect(results.map((r: { ruleId: string }) => r.ruleId)).toEqual(['mtls-new-call-fails']);
    expect(results[0].locations[0].physicalLocation.region.startLine).toBeGreaterThan(0);
  });
});
