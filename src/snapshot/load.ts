// Loads a MeshSnapshot from manifest paths, timing the parse (the benchmark compares analysis with it).
import { buildSnapshot } from './build-snapshot.js';
import { type ReadOptions, readManifests } from './read-manifests.js';
import type { MeshSnapshot } from './types.js';

export interface LoadedSnapshot {
  readonly snapshot: MeshSnapshot;
  readonly parseMs: number;
  readonly objects: number;
}

export async function loadManifestSnapshot(
  paths: readonly string[],
  options: ReadOptions = {},
): Promise<LoadedSnapshot> {
  const started = performance.now();
  const raws = await readManifests(paths, options);
  const snapshot = buildSnapshot(raws);
  return { snapshot, parseMs: performance.now() - started, objects: raws.length };
}
