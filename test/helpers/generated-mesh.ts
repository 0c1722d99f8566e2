// Generated meshes for tests: the benchmark's generator written to a fresh temporary folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MeshScale, writeMesh } from '../../bench/generate-mesh.js';

/**
 * 20 namespaces of 6 workloads: large enough to reach every branch of the generator (legacy and
 * STRICT namespaces, port exceptions, cross-namespace, port-level and wildcard rules, external entries).
 */
export const MEDIUM_MESH: MeshScale = {
  namespaces: 20,
  workloadsPerNamespace: 6,
  peerAuthentications: 40,
  destinationRules: 60,
  serviceEntries: 6,
};

/** Writes a generated mesh of `scale` to a fresh folder, gives it to `use`, and removes it after. */
export async function withGeneratedMesh<T>(scale: MeshScale, use: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'mtls-doctor-generated-'));
  try {
    writeMesh(dir, scale);
    return await use(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
