// Which objects differ between two snapshots, by identity (kind, namespace, name, and the part of the
// object: a certificate's key, a webhook). Where an object was written (file and line) is not part of
// what it *is*: moving YAML around changes nothing. Each change names a Kubernetes object (design.md
// §2, `changed: [resource]`), with the part that changed in fields of its own.
import { pushTo } from '../mesh/multi-map.js';
import {
  formatRef,
  type InjectorConfig,
  type MeshConfig,
  type MeshSnapshot,
  type Ref,
  type SourceLocation,
} from '../snapshot/types.js';

export type ChangeKind = 'added' | 'removed' | 'modified';

/** Which part of an object changed, when the object holds several things the model reads apart. */
export interface ChangedPart {
  /** The key of the object's data: a certificate's (`root-cert.pem`), the mesh config's (`mesh`). */
  readonly key?: string;
  /** What that part is to the mesh: a certificate's role (`namespace-root`), `mesh-config`, `injector-config`. */
  readonly role?: string;
  /** The webhook of a webhook configuration. */
  readonly webhook?: string;
  /** The revision whose istiod reads this mesh or injector config, when it is not the config checked. */
  readonly revision?: string;
}

export interface ChangedObject extends Ref, ChangedPart {
  readonly namespace: string;
  readonly change: ChangeKind;
  /** Where the object is now (added, modified), or where it was (removed). */
  readonly location?: SourceLocation;
}

/** `ConfigMap payments/istio-ca-root-cert key root-cert.pem`: the object, and the part that changed. */
export function changedLabel(c: ChangedObject): string {
  const part = c.key ? ` key ${c.key}` : c.webhook ? ` webhook ${c.webhook}` : '';
  return `${formatRef(c)}${part}`;
}

/** The mesh config (a change here may affect every pair), whichever object holds it. */
export const MESH_CONFIG_ROLE = 'mesh-config';
const INJECTOR_CONFIG_ROLE = 'injector-config';

interface Entry extends ChangedPart {
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
  for (const ap of s.authorizationPolicies ?? []) meta('AuthorizationPolicy', ap);
  for (const dr of s.destinationRules) meta('DestinationRule', dr);
  for (const se of s.serviceEntries) meta('ServiceEntry', se);
  for (const vs of s.virtualServices ?? []) meta('VirtualService', vs);
  for (const sc of s.sidecars ?? []) meta('Sidecar', sc);
  for (const gw of s.waypointGateways ?? []) meta('Gateway', gw);
  for (const webhook of s.injectionWebhooks ?? [])
    out.push({
      kind: 'MutatingWebhookConfiguration',
      namespace: '',
      name: webhook.configuration,
      webhook: webhook.name,
      value: webhook,
    });
  // The Services the API server calls and how it fails: they change no pair, but findings.
  for (const webhook of s.admissionWebhooks ?? []) {
    if (webhook.name.endsWith('sidecar-injector.istio.io')) continue; // an injector entry above
    out.push({
      kind: webhook.configuration.kind,
      namespace: '',
      name: webhook.configuration.name,
      webhook: webhook.name,
      value: { service: webhook.service, failurePolicy: webhook.failurePolicy },
      location: webhook.source,
    });
  }
  // Without one, Istio's defaults stand for the ConfigMaps istiod reads.
  const root = s.meshConfig.rootNamespace;
  out.push(meshEntry(s.meshConfig, { kind: 'ConfigMap', namespace: root, name: 'istio' }));
  out.push(injectorEntry(s.injector, { kind: 'ConfigMap', namespace: root, name: 'istio-sidecar-injector' }));
  // Other revisions' configs change no pair the model judges, but a change to one is a change (their
  // workloads' gap says what it may do: snapshot/revision-configs.ts).
  for (const { revision, meshConfig, injector } of s.otherRevisions ?? []) {
    const named = (name: string) => ({ kind: 'ConfigMap', namespace: root, name: `${name}-${revision}` });
    if (meshConfig) out.push({ ...meshEntry(meshConfig, named('istio')), revision });
    if (injector) out.push({ ...injectorEntry(injector, named('istio-sidecar-injector')), revision });
  }
  for (const c of s.certificates)
    out.push({
      kind: c.owner.kind,
      namespace: c.owner.namespace ?? '',
      name: c.owner.name,
      key: c.key,
      role: c.role,
      value: c.pem,
      location: c.location,
    });
  return out;
}

// Which object holds the config (a ConfigMap, an IstioOperator) is content: findings name it.
function meshEntry(config: MeshConfig, otherwise: Ref): Entry {
  const { source, meshText: _text, ...mesh } = config;
  return {
    ...holder(source, otherwise, 'mesh'),
    role: MESH_CONFIG_ROLE,
    value: { ...mesh, origin: origin(source) },
    location: source?.location,
  };
}

function injectorEntry(config: InjectorConfig, otherwise: Ref): Entry {
  const { source, ...injector } = config;
  return {
    ...holder(source, otherwise, 'values'),
    role: INJECTOR_CONFIG_ROLE,
    value: { ...injector, origin: origin(source) },
    location: source?.location,
  };
}

/** The object holding a setting (or, read from none, the one it would be read from), and its key. */
function holder(source: Ref | undefined, otherwise: Ref, configMapKey: string) {
  const { kind, namespace, name } = source ?? otherwise;
  return { kind, namespace: namespace ?? '', name, ...(kind === 'ConfigMap' ? { key: configMapKey } : {}) };
}

function origin(source: { location?: SourceLocation } | undefined): unknown {
  if (!source) return undefined;
  const { location: _where, ...ref } = source;
  return ref;
}

// Not what an object is: where it was written, and what the API server sets (a pull request's files
// carry no creationTimestamp, and the object keeps its age when applied: src/impact/existing-ages.ts).
const IGNORED_KEYS = new Set(['source', 'resourceVersion', 'creationTimestamp']);

/** Canonical text of a value: sorted keys, Maps as sorted entries, IGNORED_KEYS left out. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (key, v: unknown) => {
    if (IGNORED_KEYS.has(key)) return undefined;
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
 * arrays, Maps and plain objects, with IGNORED_KEYS and undefined values left out
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
    // Entries in the same order: canonical's sort keeps the order of keys that collate alike.
    if (!(b instanceof Map) || a.size !== b.size) return false;
    const other = b.entries();
    for (const [key, value] of a) {
      const [otherKey, otherValue] = other.next().value as [unknown, unknown];
      if (typeof key !== 'string' || key !== otherKey || !sameContent(value, otherValue)) return false;
    }
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

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// A setting (mesh or injector config) is one whichever object holds it: moving it to another is a change
// of it, not a removal and an addition.
const identity = (e: Entry) =>
  e.role === MESH_CONFIG_ROLE || e.role === INJECTOR_CONFIG_ROLE
    ? `${e.role}\u0000${e.revision ?? ''}`
    : [e.kind, e.namespace, e.name, e.key ?? '', e.role ?? '', e.webhook ?? ''].join('\u0000');

/** Entries by identity; copies of one object (the model keeps them all) stay together, in order. */
function byIdentity(s: MeshSnapshot): Map<string, Entry[]> {
  const map = new Map<string, Entry[]>();
  for (const e of entries(s)) pushTo(map, identity(e), e);
  return map;
}

// The same object (a what-if shares untouched objects) needs no comparison; most of two readings of a
// repository are equal, which sameContent says without building canonical text for each.
const same = (a: Entry, b: Entry) =>
  a.value === b.value || sameContent(a.value, b.value) || canonical(a.value) === canonical(b.value);

export function changedObjects(before: MeshSnapshot, after: MeshSnapshot): ChangedObject[] {
  const old = byIdentity(before);
  const now = byIdentity(after);
  const changed: ChangedObject[] = [];
  for (const [id, copies] of now) {
    const e = copies[0] as Entry;
    const was = old.get(id);
    const ref = refOf(e);
    if (!was) changed.push({ ...ref, change: 'added', ...loc(e.location) });
    else if (was.length !== copies.length || copies.some((c, i) => !same(was[i] as Entry, c)))
      changed.push({ ...ref, change: 'modified', ...loc(e.location ?? was[0]?.location) });
  }
  for (const [id, copies] of old) {
    const e = copies[0] as Entry;
    if (!now.has(id)) changed.push({ ...refOf(e), change: 'removed', ...loc(e.location) });
  }
  return changed.sort(
    (a, b) =>
      a.namespace.localeCompare(b.namespace) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name),
  );
}

function refOf({ kind, namespace, name, key, role, webhook, revision }: Entry) {
  return {
    kind,
    namespace,
    name,
    ...(key ? { key } : {}),
    ...(role ? { role } : {}),
    ...(webhook ? { webhook } : {}),
    ...(revision !== undefined ? { revision } : {}),
  };
}

function loc(location: SourceLocation | undefined) {
  return location ? { location } : {};
}
