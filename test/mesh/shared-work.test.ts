// A whole-mesh check judges tens of thousands of (client group, service port) pairs: the groups of
// clients are made once per distinct set of namespaces that need their own judgement, not once per
// service (or per analyzer that asks), so memory and time grow with the mesh, not with its pairs.
import { describe, expect, it } from 'vitest';
import { ResolvedMesh } from '../../src/mesh/resolve.js';
import { loadManifestSnapshot } from '../../src/snapshot/load.js';
import { MEDIUM_MESH, withGeneratedMesh } from '../helpers/generated-mesh.js';

describe('work shared across the services of a mesh', () => {
  it('gives services whose clients split alike one shared list of client groups', async () => {
    const snapshot = await withGeneratedMesh(
      MEDIUM_MESH,
      async (dir) => (await loadManifestSnapshot([dir])).snapshot,
    );
    const mesh = new ResolvedMesh(snapshot);
    const lists = new Set(mesh.targets.map((t) => mesh.clientGroups(t)));
    // Per namespace one list for its services (plus a few for services with cross-namespace rules).
    expect(lists.size).toBeLessThan(2 * MEDIUM_MESH.namespaces);
    expect(mesh.targets.length).toBeGreaterThan(5 * lists.size);
    // Asked again (by the next analyzer), the same groups come back.
    for (const t of mesh.targets) expect(mesh.clientGroups(t)).toBe(mesh.clientGroups(t));
  });
});
