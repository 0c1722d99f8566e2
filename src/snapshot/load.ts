// Loads a MeshSnapshot from manifest paths, timing the parse (the benchmark compares analysis with it).
import { type BuildOptions, buildSnapshot } from './build-snapshot.js';
import { type ManifestWarning, mergeDuplicates } from './merge-duplicates.js';
import { type ReadOptions, readManifests } from './read-manifests.js';
import type { MeshSnapshot } from './types.js';

export type { ManifestWarning } from './merge-duplicates.js';

export interface LoadedSnapshot {
  readonly snapshot: MeshSnapshot;
  readonly parseMs: number;
  /** Distinct objects read (copies of one object count once). */
  readonly objects: number;
  /** Input that was read but is suspicious (one object given twice with different content). */
  readonly warnings: readonly ManifestWarning[];
}

export async function loadManifestSnapshot(
  paths: readonly string[],
  options: ReadOptions & Pick<BuildOptions, 'leftOut'> = {},
): Promise<LoadedSnapshot> {
  const started = performance.now();
  const { objects, warnings } = mergeDuplicates(await readManifests(paths, options));
  const snapshot = buildSnapshot(objects, { leftOut: options.leftOut });
  return { snapshot, parseMs: performance.now() - started, objects: objects.length, warnings };
}
