// Which objects differ between two snapshots, by identity (kind, namespace, name). Where an object was
// written (file and line) is not part of what it *is*: moving YAML around changes nothing.
import type { MeshSnapshot, Ref, SourceLocation } from '../snapshot/types.js';

export type ChangeKind = 'added' | 'removed' | 'modified';

export interface ChangedObject extends Ref {
  readonly namespace: string;
  readonly change: ChangeKind;
  /** Where the object is now (added, modified), or where it was (removed). */
  readonly location?: SourceLocation;
}

/** Mesh-wide settings: a change here may affect every pair. */
export const MESH_CONFIG_REF = { kind: 'MeshConfig', namespace: '', name: 'mesh' } as const;

interface Entry {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly value: unknown;
  readonly location?: SourceLocation;
}

function entries(s: MeshSnapshot): Entry[] {
  const out: Entry[] = [];
  const meta = (kind: string, o: { meta: { namespace: string; name: string; source?: SourceLocation } }) =>
    out.push({ kind, namespace: o.meta.namespace, name: o.meta.name, value: o, location: o.meta.source });
  for (const n of s.namespaces)
    out.push({ kind: 'Namespace', namespace: '', name: n.name, value: n, location: n.source });
  for (const w of s.workloads) meta(w.kind, w);
  for (const svc of s.services) meta('Service', svc);
  for (const pa of s.peerAuthentications) meta('PeerAuthentication', pa);
  for (const dr of s.destinationRules) meta('DestinationRule', dr);
  for (const se of s.serviceEntries) meta('ServiceEntry', se);
  for (const vs of s.virtualServices ?? []) meta('VirtualService', vs);
  for (const sc of s.sidecars ?? []) meta('Sidecar', sc);
  for (const gw of s.waypointGateways ?? []) meta('Gateway', gw);
  for (const webhook of s.injectionWebhooks ?? [])
    out.push({
      kind: 'MutatingWebhookConfiguration',
      namespace: '',
      name: `${webhook.configuration}/${webhook.name}`,
      value: webhook,
    });
  const { source, meshText: _text, ...mesh } = s.meshConfig;
  out.push({ ...MESH_CONFIG_REF, value: mesh, location: source?.location });
  const { source: injectorSource, ...injector } = s.injector;
  out.push({
    kind: 'InjectorConfig',
    namespace: '',
    name: 'sidecar-injector',
    value: injector,
    location: injectorSource?.location,
  });
  for (const c of s.certificates)
    out.push({
      kind: `${c.owner.kind}:${c.key}`,
      namespace: c.owner.namespace ?? '',
      name: `${c.owner.name}#${c.role}`,
      value: c.pem,
      location: c.location,
    });
  return out;
}

/** Canonical text of a value: sorted keys, Maps as sorted entries, source locations left out. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (key, v: unknown) => {
    if (key === 'source' || key === 'resourceVersion') return undefined;
    if (v instanceof Map) return [...v.entries()].sort(([a], [b]) => String(a).localeCompare(String(b)));
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(o)
          .sort()
          .map((k) => [k, o[k]]),
      );
    }
    return v;
  });
}

/**
 * True only when canonical(a) === canonical(b), found without building either text: equal primitives,
 * arrays, Maps and plain objects, with `source`/`resourceVersion` keys and undefined values left out
 * as JSON leaves them. Anything else it cannot vouch for (NaN, a Date, a class instance) is false, and
 * the caller compares the canonical texts.
 */
export function sameContent(a: unknown, b: unknown): boolean {
  if (a === b) return typeof a !== 'number' || Number.isFinite(a);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      // JSON writes an undefined element as null: only a defined pair is compared here.
      if (a[i] === undefined || b[i] === undefined || !sameContent(a[i], b[i])) return false;
    }
    return true;
  }
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false;
    for (const [key, value] of a)
      if (typeof key !== 'string' || !b.has(key) || !sameContent(value, b.get(key))) return false;
    return true;
  }
  if (!isPlain(a) || !isPlain(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let keys = 0;
  for (const key in x) {
    if (IGNORED_KEYS.has(key) || x[key] === undefined) continue;
    keys++;
    if (!Object.hasOwn(y, key) || !sameContent(x[key], y[key])) return false;
  }
  for (const key in y) if (!IGNORED_KEYS.has(key) && y[key] !== undefined) keys--;
  return keys === 0;
}

const IGNORED_KEYS = new Set(['source', 'resourceVersion']);

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const identity = (e: Pick<Entry, 'kind' | 'namespace' | 'name'>) =>
  `${e.kind}\u0000${e.namespace}\u0000${e.name}`;

export function changedObjects(before: MeshSnapshot, after: MeshSnapshot): ChangedObject[] {
  const old = new Map<string, Entry>();
  for (const e of entries(before)) if (!old.has(identity(e))) old.set(identity(e), e);
  const changed: ChangedObject[] = [];
  const seen = new Set<string>();
  for (const e of entries(after)) {
    const id = identity(e);
    if (seen.has(id)) continue;
    seen.add(id);
    const was = old.get(id);
    const ref = { kind: e.kind, namespace: e.namespace, name: e.name };
    if (!was) changed.push({ ...ref, change: 'added', ...loc(e.location) });
    // The same object (a what-if shares untouched objects) needs no comparison; most of two readings
    // of a repository are equal, which sameContent says without building canonical text for each.
    else if (!sameContent(was.value, e.value) && canonical(was.value) !== canonical(e.value))
      changed.push({ ...ref, change: 'modified', ...loc(e.location ?? was.location) });
  }
  for (const [id, e] of old) {
    if (!seen.has(id))
      changed.push({
        kind: e.kind,
        namespace: e.namespace,
        name: e.name,
        change: 'removed',
        ...loc(e.location),
      });
  }
  return changed.sort(
    (a, b) =>
      a.namespace.localeCompare(b.namespace) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name),
  );
}

function loc(location: SourceLocation | undefined) {
  return location ? { location } : {};
}
