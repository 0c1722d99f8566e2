// A button carries a plan id and the bot looks the plan up by it: one id must never name two different
// plans, or a click opens a change its label did not offer. Checked on every mesh we hold.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose.js';
import { loadManifestSnapshot } from '../../src/snapshot/load.js';
import { MEDIUM_MESH, withGeneratedMesh } from '../helpers/generated-mesh.js';
import { snapshotOf } from '../helpers/mesh.js';

const NOW = new Date('2026-06-01T00:00:00Z');

function manifestFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? manifestFiles(join(dir, e.name))
      : /\.(ya?ml|json)$/.test(e.name)
        ? [join(dir, e.name)]
        : [],
  );
}

/** Plans by id across one diagnosis; a second, different plan under a known id is a collision. */
function collisions(snapshot: Parameters<typeof diagnose>[0]): string[] {
  const byId = new Map<string, string>();
  const found: string[] = [];
  for (const finding of diagnose(snapshot, { now: NOW }).findings) {
    for (const plan of finding.remediations) {
      const shown = JSON.stringify(plan);
      const earlier = byId.get(plan.id);
      if (earlier !== undefined && earlier !== shown) found.push(`${plan.id}:\n  ${earlier}\n  ${shown}`);
      byId.set(plan.id, shown);
    }
  }
  return found;
}

it('no plan id names two different plans on the example mesh, every fixture and a synthetic mesh', async () => {
  const inputs = ['examples/mesh', ...manifestFiles('test/fixtures').filter((f) => !f.includes('/bad/'))];
  let checked = 0;
  for (const input of inputs) {
    const loaded = await loadManifestSnapshot([input]).catch(() => undefined);
    if (!loaded) continue;
    expect(collisions(loaded.snapshot), input).toEqual([]);
    checked++;
  }
  expect(checked).toBeGreaterThan(90);
  expect(
    await withGeneratedMesh(MEDIUM_MESH, async (dir) =>
      collisions((await loadManifestSnapshot([dir])).snapshot),
    ),
  ).toEqual([]);
});

it('the two ways to fix an external HTTPS port have ids of their own', () => {
  // A ServiceEntry with an HTTP and an HTTPS port and an ISTIO_MUTUAL rule: SIMPLE for one, DISABLE
  // for the other, both creating an object of the same name.
  const snapshot = snapshotOf(`---
apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { istio-injection: enabled } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web }] }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: partner, namespace: shop }
spec:
  hosts: [api.partner.example]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{ number: 80, name: http, protocol: HTTP }, { number: 443, name: https, protocol: HTTPS }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: partner, namespace: shop }
spec: { host: api.partner.example, trafficPolicy: { tls: { mode: ISTIO_MUTUAL } } }
`);
  expect(collisions(snapshot)).toEqual([]);
  const ids = diagnose(snapshot, { now: NOW }).findings.flatMap((f) => f.remediations.map((p) => p.id));
  expect(ids.filter((id) => id.startsWith('create-external-dr')).sort()).toEqual([
    'create-external-dr-disable:DestinationRule/shop/api-partner-example-tls',
    'create-external-dr-simple:DestinationRule/shop/api-partner-example-tls',
  ]);
});
