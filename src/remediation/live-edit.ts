// Changes that are computed from the live object when a plan is previewed or applied, not from the
// snapshot of the check: the snapshot is schema-reduced (it lacks connectionPool, loadBalancer, ...)
// and may be old, so a patch built from it would delete what it does not know about. An edit names
// the one field it sets and the anchors that must still hold (the port number or subset name at an
// index), and refuses when they do not.
import type { ClientTlsSettings, DestinationRule } from '../snapshot/types.js';

export interface JsonPatchOp {
  readonly op: 'test' | 'add' | 'replace' | 'remove';
  readonly path: string;
  /** Absent for `remove`. */
  readonly value?: unknown;
}

/** A JSON pointer that must still hold `value` in the live object for the edit to mean the same. */
export interface Anchor {
  readonly pointer: string;
  readonly value: unknown;
}

export type LiveEdit =
  | {
      /**
       * Set `<path>.mode` (path like `spec.trafficPolicy.portLevelSettings[0].tls`), keep the rest;
       * ISTIO_MUTUAL, or a mode with an `sni`, keeps nothing else (see tlsWithMode).
       */
      readonly kind: 'set-tls-mode';
      readonly path: string;
      readonly mode: string;
      /** TLS origination to an external host: the block becomes exactly `{ mode, sni }`. */
      readonly sni?: string;
      readonly anchors: readonly Anchor[];
    }
  | {
      /**
       * Give each of `ports` (Service ports) its own tls.mode in the top-level portLevelSettings: the
       * entry of that port number, or a new entry, so no other port changes.
       */
      readonly kind: 'set-port-tls-mode';
      readonly ports: readonly number[];
      readonly mode: string;
      readonly sni?: string;
    }
  | {
      /** Remove the `tls` block at `path`, so auto mTLS chooses per endpoint. */
      readonly kind: 'remove-tls';
      readonly path: string;
      readonly anchors: readonly Anchor[];
    }
  | {
      /** `enableAutoMtls: true` in the ConfigMap's `data.mesh` text, every other setting kept. */
      readonly kind: 'enable-auto-mtls-mesh';
    };

/** The live object no longer has what the edit was planned against (a port entry moved, ...). */
export class StaleEditError extends Error {}

type Json = Record<string, unknown>;
type Segment = string | number;

function segments(path: string): Segment[] {
  const out: Segment[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
    if (!m) throw new Error(`bad field path ${path}`);
    out.push(m[1] as string);
    for (const index of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) out.push(Number(index[1]));
  }
  return out;
}

function pointer(parts: readonly Segment[]): string {
  return parts.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

function valueAt(root: unknown, parts: readonly Segment[]): unknown {
  let node = root;
  for (const part of parts) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part as string];
  }
  return node;
}

function valueAtPointer(root: unknown, ptr: string): unknown {
  const parts = ptr
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  return valueAt(root, parts);
}

/**
 * The edit for a DestinationRule's winning `tls` field, and the JSON patch a person can paste: `test`
 * ops pin the port number / subset name at each index, then only `tls.mode` is set.
 */
export function setTlsModeEdit(
  rule: DestinationRule,
  path: string,
  mode: string,
  sni?: string,
): { edit: LiveEdit; jsonPatch?: JsonPatchOp[] } {
  const parts = segments(path);
  const { anchors, node } = walkRule(rule, parts);
  const edit: LiveEdit = { kind: 'set-tls-mode', path, mode, ...(sni !== undefined ? { sni } : {}), anchors };
  const tls = node as ClientTlsSettings | undefined;
  // The block written whole: ISTIO_MUTUAL from a rule that also names certificates, SANs or an SNI.
  const replaced = sni !== undefined || (mode === 'ISTIO_MUTUAL' && hasMoreThanMode(tls));
  // Without a list on the way a merge patch of `tls.mode` is exact; with one, a JSON patch is.
  if (!parts.some((p) => typeof p === 'number') && !replaced) return { edit };
  const jsonPatch: JsonPatchOp[] = [
    ...anchors.map((a) => ({ op: 'test' as const, path: a.pointer, value: a.value })),
    // `add` on a member that exists replaces it: the whole block, or just its mode.
    tls && !replaced
      ? { op: 'add', path: pointer([...parts, 'mode']), value: mode }
      : { op: 'add', path: pointer(parts), value: tlsWithMode(undefined, mode, sni) },
  ];
  return { edit, jsonPatch };
}

/**
 * The edit that removes a rule's `tls` block at `path`, and the JSON patch a person can paste (the
 * list entries on the way pinned by `test` ops, as for setTlsModeEdit).
 */
export function removeTlsEdit(
  rule: DestinationRule,
  path: string,
): { edit: LiveEdit; jsonPatch: JsonPatchOp[] } {
  const parts = segments(path);
  const { anchors } = walkRule(rule, parts);
  return {
    edit: { kind: 'remove-tls', path, anchors },
    jsonPatch: [
      ...anchors.map((a) => ({ op: 'test' as const, path: a.pointer, value: a.value })),
      { op: 'remove', path: pointer(parts) },
    ],
  };
}

/**
 * The edit that gives each port its own tls.mode in the top-level portLevelSettings, and the kubectl
 * equivalent from the snapshot's list: a merge patch creating the list when it has none, else a JSON
 * patch that pins each entry it changes by its port number and appends the new ones.
 */
export function setPortTlsModeEdit(
  rule: DestinationRule,
  ports: readonly number[],
  mode: string,
  sni?: string,
): { edit: LiveEdit; mergePatch?: Json; jsonPatch?: JsonPatchOp[] } {
  const edit: LiveEdit = {
    kind: 'set-port-tls-mode',
    ports: [...ports],
    mode,
    ...(sni !== undefined ? { sni } : {}),
  };
  const tls = tlsWithMode(undefined, mode, sni);
  const entries = rule.trafficPolicy?.portLevelSettings ?? [];
  if (entries.length === 0)
    return {
      edit,
      mergePatch: { spec: { trafficPolicy: { portLevelSettings: ports.map((p) => portEntry(p, tls)) } } },
    };
  const list = ['spec', 'trafficPolicy', 'portLevelSettings'];
  const jsonPatch: JsonPatchOp[] = [];
  for (const port of ports) {
    const index = entries.findIndex((e) => e.port === port);
    if (index < 0) {
      jsonPatch.push({ op: 'add', path: `${pointer(list)}/-`, value: portEntry(port, tls) });
      continue;
    }
    jsonPatch.push(
      { op: 'test', path: pointer([...list, index, 'port', 'number']), value: port },
      { op: 'add', path: pointer([...list, index, 'tls']), value: tls },
    );
  }
  return { edit, jsonPatch };
}

const portEntry = (port: number, tls: Json) => ({ port: { number: port }, tls });

/** Whether a tls block sets anything besides its mode (what switching to ISTIO_MUTUAL removes). */
export function hasMoreThanMode(tls: ClientTlsSettings | undefined): boolean {
  return Object.entries(tls ?? {}).some(
    ([key, value]) => key !== 'mode' && value !== undefined && value !== null,
  );
}

/** The snapshot's node at `parts`, and the anchors (port number, subset name) of each list entry on the way. */
function walkRule(rule: DestinationRule, parts: readonly Segment[]): { anchors: Anchor[]; node: unknown } {
  const anchors: Anchor[] = [];
  let node: unknown = { spec: { trafficPolicy: rule.trafficPolicy, subsets: rule.subsets } };
  const walked: Segment[] = [];
  for (const part of parts) {
    node = (node as Record<string, unknown> | undefined)?.[part as string];
    walked.push(part);
    if (typeof part !== 'number') continue;
    const parent = walked[walked.length - 2];
    if (parent === 'portLevelSettings') {
      const port = (node as { port?: number } | undefined)?.port;
      if (port !== undefined) anchors.push({ pointer: pointer([...walked, 'port', 'number']), value: port });
    } else if (parent === 'subsets') {
      const name = (node as { name?: string } | undefined)?.name;
      if (name !== undefined) anchors.push({ pointer: pointer([...walked, 'name']), value: name });
    }
  }
  return { anchors, node };
}

/**
 * The tls block with `mode` set. ISTIO_MUTUAL keeps nothing else: a SIMPLE or MUTUAL rule's
 * subjectAltNames and sni name another server's certificate, and ISTIO_MUTUAL would check the server
 * against those SANs instead of the service's Istio identities (cluster_tls.go), so the call would
 * still fail; its certificate fields (caCertificates, credentialName, clientCertificate, privateKey,
 * ...) are not allowed with it. TLS origination to an external host (an `sni`) is written whole too:
 * SANs kept from ISTIO_MUTUAL would be Istio identities the external server does not have.
 */
function tlsWithMode(live: Json | undefined, mode: string, sni?: string): Json {
  if (sni !== undefined) return { mode, sni };
  return mode === 'ISTIO_MUTUAL' ? { mode } : { ...(live ?? {}), mode };
}

function replacesBlock(mode: string, sni: string | undefined): boolean {
  return sni !== undefined || mode === 'ISTIO_MUTUAL';
}

/** The mesh text with auto mTLS on and every other line as it is. */
export function meshTextWithAutoMtls(mesh: string | undefined): string {
  const text = mesh ?? '';
  return /enableAutoMtls\s*:\s*false/.test(text)
    ? text.replace(/enableAutoMtls\s*:\s*false/, 'enableAutoMtls: true')
    : `${text.trimEnd()}\nenableAutoMtls: true\n`.trimStart();
}

/**
 * The JSON merge patch that carries out `edit` on `live`. Lists in a merge patch are replaced whole,
 * so a list on the way is sent as the live list with only the one field changed; the caller binds it
 * to the live object with its resourceVersion.
 */
export function mergePatchFor(edit: LiveEdit, live: Json): Json {
  if (edit.kind === 'enable-auto-mtls-mesh') {
    const mesh = (live.data as Record<string, unknown> | undefined)?.mesh;
    return { data: { mesh: meshTextWithAutoMtls(typeof mesh === 'string' ? mesh : undefined) } };
  }
  if (edit.kind === 'set-port-tls-mode') return portTlsPatch(edit.ports, edit.mode, edit.sni, live);
  for (const anchor of edit.anchors) {
    const found = valueAtPointer(live, anchor.pointer);
    if (found !== anchor.value) {
      throw new StaleEditError(
        `${anchor.pointer} is ${found === undefined ? 'gone' : JSON.stringify(found)}, not ${JSON.stringify(anchor.value)} as at the check`,
      );
    }
  }
  const parts = segments(edit.path);
  const tlsKey = parts[parts.length - 1] as string;
  const firstList = parts.findIndex((p) => typeof p === 'number');
  const liveTls = valueAt(live, parts) as Json | undefined;
  if (firstList < 0) return nest(parts, tlsMergePatch(edit, liveTls));
  const copy = structuredClone(live) as Json;
  let node = copy as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) {
    const next = node[part as string];
    if (typeof next !== 'object' || next === null) {
      if (typeof part === 'number') throw new StaleEditError(`${edit.path} is gone`);
      node[part] = {};
    }
    node = node[part as string] as Record<string, unknown>;
  }
  if (edit.kind === 'remove-tls') delete node[tlsKey];
  else node[tlsKey] = tlsWithMode(liveTls, edit.mode, edit.sni);
  const listPath = parts.slice(0, firstList - 1);
  const listKey = parts[firstList - 1] as string;
  return nest([...listPath, listKey], valueAt(copy, [...listPath, listKey]));
}

/**
 * The merge patch of a tls block outside any list: null removes it; a block written whole
 * (tlsWithMode) is sent with null for every other field the live block has (a merge patch keeps what
 * it does not name); any other mode is set alone.
 */
function tlsMergePatch(
  edit: Extract<LiveEdit, { kind: 'set-tls-mode' | 'remove-tls' }>,
  live: Json | undefined,
): Json | null {
  if (edit.kind === 'remove-tls') return null;
  if (!replacesBlock(edit.mode, edit.sni)) return { mode: edit.mode };
  const patch = tlsWithMode(undefined, edit.mode, edit.sni);
  for (const key of Object.keys(live ?? {})) if (!(key in patch)) patch[key] = null;
  return patch;
}

/** The live top-level portLevelSettings with each port's tls.mode set (its entry, or a new one). */
function portTlsPatch(ports: readonly number[], mode: string, sni: string | undefined, live: Json): Json {
  const current = valueAt(live, ['spec', 'trafficPolicy', 'portLevelSettings']);
  if (current !== undefined && !Array.isArray(current))
    throw new StaleEditError('spec.trafficPolicy.portLevelSettings is not a list');
  const list = structuredClone((current ?? []) as Json[]);
  for (const port of ports) {
    const entry = list.find((e) => (e.port as { number?: unknown } | undefined)?.number === port);
    if (!entry) {
      list.push(portEntry(port, tlsWithMode(undefined, mode, sni)));
      continue;
    }
    entry.tls = tlsWithMode(entry.tls as Json | undefined, mode, sni);
  }
  return { spec: { trafficPolicy: { portLevelSettings: list } } };
}

function nest(parts: readonly Segment[], value: unknown): Json {
  return parts.reduceRight<unknown>((inner, key) => ({ [key as string]: inner }), value) as Json;
}
