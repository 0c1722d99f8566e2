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
    const id = identityKey(raw.object);
    const earlierIndex = id === undefined ? undefined : indexById.get(id);
    const earlier = earlierIndex === undefined ? undefined : kept[earlierIndex];
    if (id === undefined || earlierIndex === undefined || !earlier) {
      if (id !== undefined) indexById.set(id, kept.length);
      kept.push(raw);
      continue;
    }
    if (isDeepStrictEqual(earlier.object, raw.object)) continue;
    warnings.push(conflict(shownIdentity(raw.object), earlier, raw));
    kept[earlierIndex] = undefined;
    indexById.set(id, kept.length);
    kept.push(raw);
  }
  return { objects: kept.filter((raw): raw is RawObject => raw !== undefined), warnings };
}

interface Identity {
  readonly kind: string;
  readonly group: string;
  readonly namespace: string;
  readonly name: string;
}

function identity(object: Record<string, unknown>): Identity | undefined {
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
  return { kind, group, namespace, name };
}

// The key of every object read, and its readable form only for the rare conflict (no closure per object).
function identityKey(object: Record<string, unknown>): string | undefined {
  const id = identity(object);
  // NUL separates the parts: it is not valid in a name, a namespace or a kind the analysis reads.
  return id && `${id.kind}\u0000${id.group}\u0000${id.namespace}\u0000${id.name}`;
}

function shownIdentity(object: Record<string, unknown>): string {
  const { kind, namespace, name } = identity(object) as Identity;
  return `${kind} ${namespace ? `${printable(namespace)}/` : ''}${printable(name)}`;
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
