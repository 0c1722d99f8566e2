// failingPairs judges each group of alike clients once; it must list exactly the failing pairs of the
// whole matrix, in the same order, on every mesh we hold.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose, knownNamespaces } from '../../src/engine/diagnose.js';
import { failingPairs, matrixPairs } from '../../src/engine/matrix.js';
import { loadManifestSnapshot } from '../../src/snapshot/load.js';
import { MEDIUM_MESH, withGeneratedMesh } from '../helpers/generated-mesh.js';

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
    expect(await withGeneratedMesh(MEDIUM_MESH, (dir) => expectSameAsMatrix([dir]))).toBeGreaterThan(0);
  });
});
