// failingPairs judges each group of alike clients once; it must list exactly the failing pairs of the
// whole matrix, in the same order, on every mesh we hold.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeMesh } from '../../bench/generate-mesh.js';
import { diagnose, knownNamespaces } from '../../src/engine/diagnose.js';
import { failingPairs, matrixPairs } from '../../src/engine/matrix.js';
import { loadManifestSnapshot } from '../../src/snapshot/load.js';

async function expectSameAsMatrix(paths: string[]): Promise<number> {
  const { snapshot } = await loadManifestSnapshot(paths);
  const { mesh } = diagnose(snapshot, { analyzers: [] });
  let compared = 0;
  for (const ns of [undefined, ...knownNamespaces(snapshot)]) {
    const expected = [...matrixPairs(mesh, ns)].filter((p) => p.outcome === 'fail');
    expect(failingPairs(mesh, ns), ns ?? 'all namespaces').toEqual(expected);
    compared += expected.length;
  }
  return compared;
}

describe('failingPairs', () => {
  it('equals the failing pairs of the whole matrix on the example mesh and every istio.io task', async () => {
    let failing = await expectSameAsMatrix(['examples/mesh']);
    for (const task of readdirSync('test/fixtures/istio-io-tasks', { withFileTypes: true })) {
      if (task.isDirectory())
        failing += await expectSameAsMatrix([
          join('test/fixtures/istio-io-tasks', task.name, 'manifests.yaml'),
        ]);
    }
    expect(failing).toBeGreaterThan(0);
  });

  it('equals them on a synthetic mesh with policies, port exceptions and wildcard rules', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'failing-pairs-'));
    try {
      const scale = {
        namespaces: 20,
        workloadsPerNamespace: 6,
        peerAuthentications: 40,
        destinationRules: 60,
        serviceEntries: 6,
      };
      writeMesh(dir, scale);
      expect(await expectSameAsMatrix([dir])).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
