// A whole-mesh check judges tens of thousands of (client group, service port) pairs: the groups of
// clients are made once per distinct set of namespaces that need their own judgement, not once per
// service (or per analyzer that asks), so memory and time grow with the mesh, not with its pairs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeMesh } from '../../bench/generate-mesh.js';
import { ResolvedMesh } from '../../src/mesh/resolve.js';
import { loadManifestSnapshot } from '../../src/snapshot/load.js';

describe('work shared across the services of a mesh', () => {
  it('gives services whose clients split alike one shared list of client groups', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shared-work-'));
    try {
      const scale = {
        namespaces: 20,
        workloadsPerNamespace: 6,
        peerAuthentications: 40,
        destinationRules: 60,
        serviceEntries: 6,
      };
      writeMesh(dir, scale);
      const { snapshot } = await loadManifestSnapshot([dir]);
      const mesh = new ResolvedMesh(snapshot);
      const lists = new Set(mesh.targets.map((t) => mesh.clientGroups(t)));
      // Per namespace one list for its services (plus a few for services with cross-namespace rules).
      expect(lists.size).toBeLessThan(2 * scale.namespaces);
      expect(mesh.targets.length).toBeGreaterThan(5 * lists.size);
      // Asked again (by the next analyzer), the same groups come back.
      for (const t of mesh.targets) expect(mesh.clientGroups(t)).toBe(mesh.clientGroups(t));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
