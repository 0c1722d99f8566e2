// One snapshot read serves every command that arrives while it is fresh: a burst of `/mtls` commands
// (an incident channel) costs one read of the cluster, not one each.
import { type LoadedSource, loadSource, type SourceOptions } from '../snapshot/source.js';

export function cachedSource(
  options: SourceOptions,
  ttlMs = 15_000,
  now = () => Date.now(),
): () => Promise<LoadedSource> {
  let current: { at: number; value: Promise<LoadedSource> } | undefined;
  return () => {
    if (!current || now() - current.at > ttlMs) {
      const value = loadSource(options);
      current = { at: now(), value };
      // A failed read is not cached: the next command tries again.
      value.catch(() => {
        if (current?.value === value) current = undefined;
      });
    }
    return current.value;
  };
}
