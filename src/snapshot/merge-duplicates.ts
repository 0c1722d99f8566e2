// The same object given twice (`-f dir -f dir/sub`, a kustomize base beside its overlay) must not
// count twice. Identical copies are merged silently; two different objects with one identity are
// what `kubectl apply` would make of them, the later one wins, with a warning naming both places.
import { isDeepStrictEqual } from 'node:util';
import { isPlainObject, type RawObject } from './raw-object.js';
import type { SourceLocation } from './types.js';

export interface ManifestWarning {
  readonly message: string;
  /** The places involved, in the order given (the last one is used). */
  readonly locations: readonly SourceLocation[];
}

export function mergeDuplicates(raws: readonly RawObject[]): {
  objects: RawObject[];
  warnings: ManifestWarning[];
} {
  const kept: (RawObject | undefined)[] = [];
  const indexById = new Map<string, number>();
  const warnings: ManifestWarning[] = [];
  for (const raw of raws) {
    const id = identity(raw.object);
    const earlierIndex = id === undefined ? undefined : indexById.get(id.key);
    const earlier = earlierIndex === undefined ? undefined : kept[earlierIndex];
    if (id === undefined || earlierIndex === undefined || !earlier) {
      if (id) indexById.set(id.key, kept.length);
      kept.push(raw);
      continue;
    }
    if (isDeepStrictEqual(earlier.object, raw.object)) continue;
    warnings.push(conflict(id.shown(), earlier, raw));
    kept[earlierIndex] = undefined;
    indexById.set(id.key, kept.length);
    kept.push(raw);
  }
  return { objects: kept.filter((raw): raw is RawObject => raw !== undefined), warnings };
}

function identity(object: Record<string, unknown>): { key: string; shown: () => string } | undefined {
  const { kind, apiVersion, metadata } = object;
  if (typeof kind !== 'string' || typeof apiVersion !== 'string' || !isPlainObject(metadata))
    return undefined;
  const name = metadata.name;
  if (typeof name !== 'string') return undefined;
  // Versions of one group are one object to the API server; a missing namespace means `default`.
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const namespace =
    kind === 'Namespace' ? '' : typeof metadata.namespace === 'string' ? metadata.namespace : 'default';
  return {
    // NUL separates the parts: it is not valid in a name, a namespace or a kind the analysis reads.
    key: `${kind}\u0000${group}\u0000${namespace}\u0000${name}`,
    shown: () => `${kind} ${namespace ? `${printable(namespace)}/` : ''}${printable(name)}`,
  };
}

function conflict(shown: string, earlier: RawObject, later: RawObject): ManifestWarning {
  const at = (raw: RawObject) => (raw.location ? `${raw.location.file}:${raw.location.line}` : 'the input');
  return {
    message: `${shown} is given twice with different content (${at(earlier)} and ${at(later)}): using ${at(later)}, the later one, as kubectl apply would`,
    locations: [earlier, later].flatMap((raw) => (raw.location ? [raw.location] : [])),
  };
}

/** Names are validated later; a warning printed before that must not carry control characters. */
function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
  return /[\u0000-\u001f\u007f]/.test(text) ? JSON.stringify(text) : text;
}
