// `--what-if CHANGE`: the after-snapshot built from the before one without any YAML. Three changes:
//   namespace=NS mode=M | mesh mode=M        the namespace-wide (or mesh-wide) PeerAuthentication's mode
//   automtls=on|off                          the mesh config's enableAutoMtls
//   host=HOST tls=T [namespace=NS]           the top-level TLS mode of the DestinationRules for HOST
import { CLUSTER_DOMAIN, namespaceOfServiceHost, resolveShortname, serviceFqdn } from '../mesh/hosts.js';
import { withNamespaceMode } from '../mesh/server-mode.js';
import { isNamespaceName } from '../snapshot/k8s-names.js';
import type { ClientTlsMode, DestinationRule, MeshSnapshot, MtlsMode } from '../snapshot/types.js';

export interface PolicyWhatIf {
  readonly kind?: 'policy';
  /** undefined: the mesh (root namespace). */
  readonly namespace?: string;
  readonly mode: Exclude<MtlsMode, 'UNSET'>;
}

export interface AutoMtlsWhatIf {
  readonly kind: 'auto-mtls';
  readonly enabled: boolean;
}

export interface DestinationRuleWhatIf {
  readonly kind: 'destination-rule';
  /** As the user wrote it: a short name needs `namespace`, an FQDN names its own. */
  readonly host: string;
  readonly namespace?: string;
  readonly tls: ClientTlsMode;
}

export type WhatIf = PolicyWhatIf | AutoMtlsWhatIf | DestinationRuleWhatIf;

export class WhatIfError extends Error {}

const MODES = ['STRICT', 'PERMISSIVE', 'DISABLE'] as const;
const TLS_MODES = ['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'] as const;
const USAGE =
  "expected 'namespace=NS mode=STRICT|PERMISSIVE|DISABLE', 'mesh mode=...', 'automtls=on|off' or 'host=HOST tls=DISABLE|SIMPLE|MUTUAL|ISTIO_MUTUAL [namespace=NS]'";
const HOST = /^(\*|(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$/;

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  const upper = value.toUpperCase();
  if (!(allowed as readonly string[]).includes(upper))
    throw new WhatIfError(`${what} "${value}" is not one of ${allowed.join(', ')}`);
  return upper as T;
}

export function parseWhatIf(text: string): WhatIf {
  const given = new Map<string, string | undefined>();
  for (const token of text.trim().split(/\s+/).filter(Boolean)) {
    const [key = '', value] = token.includes('=') ? token.split('=', 2) : [token, undefined];
    if (
      !['mesh', 'namespace', 'ns', 'mode', 'automtls', 'host', 'tls'].includes(key) ||
      (key === 'mesh') !== (value === undefined)
    )
      throw new WhatIfError(`"${token}" is not understood: ${USAGE}`);
    if (key !== 'mesh' && !value) throw new WhatIfError(`"${token}" needs a value: ${USAGE}`);
    const name = key === 'ns' ? 'namespace' : key;
    if (given.has(name)) throw new WhatIfError(`${name} is given twice`);
    given.set(name, value);
  }
  const namespace = given.get('namespace');
  if (namespace !== undefined && !isNamespaceName(namespace))
    throw new WhatIfError(`"${namespace}" is not a valid namespace name (RFC 1123 label)`);
  const only = (...keys: string[]) => [...given.keys()].every((k) => keys.includes(k));
  const automtls = given.get('automtls');
  if (automtls !== undefined) {
    if (!only('automtls')) throw new WhatIfError(`automtls= stands alone: ${USAGE}`);
    if (!['on', 'off', 'true', 'false'].includes(automtls.toLowerCase()))
      throw new WhatIfError(`automtls "${automtls}" is not on or off`);
    return { kind: 'auto-mtls', enabled: ['on', 'true'].includes(automtls.toLowerCase()) };
  }
  const host = given.get('host');
  if (host !== undefined) {
    const tls = given.get('tls');
    if (!tls || !only('host', 'tls', 'namespace')) throw new WhatIfError(USAGE);
    if (!HOST.test(host.toLowerCase())) throw new WhatIfError(`"${host}" is not a host name`);
    if (!host.includes('.') && namespace === undefined)
      throw new WhatIfError(
        `host "${host}" is a short name: add namespace=NS (the DestinationRule's namespace)`,
      );
    return {
      kind: 'destination-rule',
      host: host.toLowerCase(),
      namespace,
      tls: oneOf(tls, TLS_MODES, 'tls'),
    };
  }
  const mode = given.get('mode');
  if (!mode || !only('mesh', 'namespace', 'mode') || given.has('mesh') === (namespace !== undefined))
    throw new WhatIfError(USAGE);
  return { namespace, mode: oneOf(mode, MODES, 'mode') };
}

/**
 * The one namespace whose objects the what-if changes (checked against the input, and by access rules);
 * undefined when it may change objects anywhere (the mesh policy or config, a host's rules everywhere).
 */
export function whatIfNamespace(w: WhatIf): string | undefined {
  return w.kind === 'auto-mtls' ? undefined : w.namespace;
}

/**
 * Every namespace a what-if reads or changes, for access rules: the `namespace=` whose objects change
 * and, for a DestinationRule what-if, the namespace its host names (`svc.ns.svc.cluster.local`,
 * `*.ns.svc`), whose Services the answer looks up and whose calls it reports. Undefined when it may
 * change objects anywhere (see whatIfNamespace), or when its host is a wildcard across namespaces,
 * whose answer would tell what every namespace holds, or an external name (likewise).
 */
export function whatIfNamespaces(w: WhatIf): readonly string[] | undefined {
  const namespace = whatIfNamespace(w);
  if (namespace === undefined) return undefined;
  if (w.kind !== 'destination-rule') return [namespace];
  // A short name is a Service of `namespace=` itself.
  if (!w.host.includes('.') && !w.host.startsWith('*')) return [namespace];
  const named = namespaceOfHost(w.host);
  if (named !== undefined) return named !== namespace ? [namespace, named] : [namespace];
  // A wildcard that names no one namespace (`*.local`, `*.svc.cluster.local`, `*`) covers services in
  // every namespace. An external name is found among every namespace's ServiceEntries and
  // DestinationRules, even those exported to their own namespace only: its answer ("no such host",
  // "breaks 0", the calls it lists) tells what other namespaces hold. Only a channel that may see them
  // all asks about either.
  return undefined;
}

/** The namespace in `name.ns.svc[.cluster.local]` (or `*.ns.svc...`); a short or external host names none. */
function namespaceOfHost(host: string): string | undefined {
  return namespaceOfServiceHost(host.endsWith('.svc') ? `${host}.${CLUSTER_DOMAIN}` : host);
}

/** The host as istiod reads it: a short name belongs to the given namespace. */
function targetHost(w: DestinationRuleWhatIf): string {
  return w.namespace ? resolveShortname(w.host, w.namespace) : w.host;
}

/** Why the what-if names a host the input does not have: no Service, ServiceEntry or DestinationRule. */
export function whatIfUnknownHost(snapshot: MeshSnapshot, w: WhatIf): string | undefined {
  if (w.kind !== 'destination-rule') return undefined;
  const target = targetHost(w);
  const known =
    snapshot.services.some((s) => serviceFqdn(s.meta.name, s.meta.namespace) === target) ||
    snapshot.serviceEntries.some((e) => e.hosts.includes(target)) ||
    snapshot.destinationRules.some((d) => resolveShortname(d.host, d.meta.namespace) === target);
  return known
    ? undefined
    : `host "${target}" is no Service, ServiceEntry or DestinationRule host in the input`;
}

/** A PeerAuthentication mode what-if: the one whose breakage an avoidance plan addresses. */
export function isPolicyWhatIf(w: WhatIf): w is PolicyWhatIf {
  return w.kind === undefined || w.kind === 'policy';
}

export function describeWhatIf(w: WhatIf): string {
  if (w.kind === 'auto-mtls') return `auto mTLS ${w.enabled ? 'on' : 'off'}`;
  if (w.kind === 'destination-rule')
    return `DestinationRule tls for ${w.host}${w.namespace ? ` (namespace ${w.namespace})` : ''} → ${w.tls}`;
  return w.namespace ? `namespace ${w.namespace} → ${w.mode}` : `mesh-wide → ${w.mode}`;
}

export function applyWhatIf(snapshot: MeshSnapshot, w: WhatIf): MeshSnapshot {
  if (w.kind === 'auto-mtls')
    return { ...snapshot, meshConfig: { ...snapshot.meshConfig, enableAutoMtls: w.enabled } };
  if (w.kind === 'destination-rule') return withDestinationRuleTls(snapshot, w);
  return withPolicyMode(snapshot, w);
}

/**
 * Every namespace-wide PeerAuthentication of the namespace (the root namespace for the mesh) gets the
 * mode, keeping where it is written; without one, `default` is added. Workload policies stay as they
 * are: they still override the namespace, as in Istio.
 */
function withPolicyMode(snapshot: MeshSnapshot, w: PolicyWhatIf): MeshSnapshot {
  const namespace = w.namespace ?? snapshot.meshConfig.rootNamespace;
  return {
    ...snapshot,
    peerAuthentications: withNamespaceMode(snapshot.peerAuthentications, namespace, w.mode),
  };
}

/**
 * Every DestinationRule for the host (in `namespace`, when given) gets the top-level TLS mode; port-level
 * and subset TLS stay, and still override it, as in Istio. Without one, `whatif-<host>` is added in the
 * namespace (given, or named by the FQDN).
 */
function withDestinationRuleTls(snapshot: MeshSnapshot, w: DestinationRuleWhatIf): MeshSnapshot {
  const target = targetHost(w);
  const matches = (dr: DestinationRule) =>
    resolveShortname(dr.host, dr.meta.namespace) === target &&
    (!w.namespace || dr.meta.namespace === w.namespace);
  let found = false;
  const destinationRules = snapshot.destinationRules.map((dr) => {
    if (!matches(dr)) return dr;
    found = true;
    const tls = { ...dr.trafficPolicy?.tls, mode: w.tls };
    return { ...dr, trafficPolicy: { portLevelSettings: [], ...dr.trafficPolicy, tls } };
  });
  if (!found) {
    const namespace = w.namespace ?? namespaceOfServiceHost(target) ?? snapshot.meshConfig.rootNamespace;
    destinationRules.push({
      meta: {
        name: `whatif-${target.replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '')}`.slice(0, 63),
        namespace,
        labels: {},
        annotations: {},
      },
      host: target,
      exportTo: [],
      trafficPolicy: { tls: { mode: w.tls }, portLevelSettings: [] },
      subsets: [],
    });
  }
  return { ...snapshot, destinationRules };
}
