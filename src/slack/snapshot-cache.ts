// One snapshot read serves every command that arrives while it is fresh: a burst of `/mtls` commands
// (an incident channel) costs one read of the cluster, not one each. Commands that arrive during the
// read wait for it; freshness counts from the end of the read, so a read slower than the lifetime is
// still used rather than started again at once.
import { type LoadedSource, loadSource, type SourceOptions } from '../snapshot/source.js';

export function cachedSource(
  options: SourceOptions,
  ttlMs = 15_000,
  now = () => Date.now(),
  load: (options: SourceOptions) => Promise<LoadedSource> = loadSource,
): () => Promise<LoadedSource> {
  let current: { readAt?: number; value: Promise<LoadedSource> } | undefined;
  return () => {
    const stale = current?.readAt !== undefined && now() - current.readAt > ttlMs;
    if (!current || stale) {
      const value = load(options);
      const entry: { readAt?: number; value: Promise<LoadedSource> } = { value };
      current = entry;
      value.then(
        () => {
          entry.readAt = now();
        },
        // A failed read is not cached: the next command tries again.
        () => {
          if (current === entry) current = undefined;
        },
      );
    }
    return current.value;
  };
}
