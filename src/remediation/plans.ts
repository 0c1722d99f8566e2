// Remediation plans as data: the target object, the change (a JSON merge patch, a new object, an
// edit computed from the live object, or a rollout restart), the risk in plain words and the exact
// kubectl equivalent. Building a plan changes nothing; applying one is a separate, approved step.
// A plan deletes only an object a change created (the revert of an added object, the rollback of a
// created one), bound to the resourceVersion it was made for. Every operand of a kubectl command is shell-quoted unless it is a
// plain token, so a command runs as printed whatever the names hold.

import { isIstioNamespace, isNeverInjected } from '../snapshot/proxy-status.js';
import type {
  ClientTlsSettings,
  DestinationRule,
  Labels,
  PeerAuthentication,
  Ref,
  Workload,
} from '../snapshot/types.js';
import { toKubeYaml } from './kube-yaml.js';
import {
  type JsonPatchOp,
  type LiveEdit,
  meshTextWithAutoMtls,
  removeTlsEdit,
  setPortTlsModeEdit,
  setTlsModeEdit,
} from './live-edit.js';
import { canonicalLabels, externalRuleName, generatedName } from './object-names.js';

export type PlanAction = 'merge-patch' | 'create' | 'delete' | 'rollout-restart';

export interface RemediationPlan {
  /** Stable id: `<action>:<Kind>/<namespace>/<name>[:<detail>]`. */
  readonly id: string;
  readonly title: string;
  readonly risk: string;
  readonly action: PlanAction;
  readonly target: Ref & { readonly apiVersion: string };
  /** JSON merge patch (merge-patch) or the whole object (create). */
  readonly body?: Record<string, unknown>;
  /**
   * A change computed from the live object when it is previewed or applied (instead of `body`), so a
   * fix touches only the fields it names and never writes back a stale or schema-reduced copy.
   */
  readonly edit?: LiveEdit;
  /** A rollback: restore `previous` for the fields `patch` changed, if the object is still at `resultVersion`. */
  readonly restore?: {
    readonly auditId: number;
    readonly previous: Record<string, unknown>;
    readonly patch: Record<string, unknown>;
    readonly resultVersion?: string;
  };
  /**
   * Carried out only while the object is at this resourceVersion: the version the change it undoes
   * left (a delete must not take a later edit with it).
   */
  readonly expectVersion?: string;
  /** The audit entry a rollback that creates or deletes undoes (marked rolled-back once applied). */
  readonly undoes?: { readonly auditId: number; readonly resultVersion?: string };
  readonly kubectl: string;
  /** Several steps in order (restart istiod, wait, then the workloads): run by hand, not applied. */
  readonly manual?: boolean;
  /** Namespaces its commands act in besides the target's (a manual plan's restarts): who may see it. */
  readonly namespaces?: readonly string[];
  /** The ids of the plans that repair calls only together with this one (each applied on its own). */
  readonly appliedWith?: readonly string[];
}

const PA_API = 'security.istio.io/v1';
export const DR_API = 'networking.istio.io/v1';

/** A shell word that means exactly `text`: plain tokens as they are, anything else single-quoted. */
export function shellQuote(text: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(text)) return text;
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** `kubectl <words...>`, each operand quoted. */
function kubectl(...words: string[]): string {
  return ['kubectl', ...words.map(shellQuote)].join(' ');
}

function namespaceArgs(ref: Ref): string[] {
  return ref.namespace ? ['-n', ref.namespace] : [];
}

export function mergePatchCommand(resource: string, ref: Ref, patch: Record<string, unknown>): string {
  return kubectl(
    'patch',
    resource,
    ref.name,
    ...namespaceArgs(ref),
    '--type=merge',
    '-p',
    JSON.stringify(patch),
  );
}

function jsonPatchCommand(resource: string, ref: Ref, ops: readonly JsonPatchOp[]): string {
  return kubectl(
    'patch',
    resource,
    ref.name,
    ...namespaceArgs(ref),
    '--type=json',
    '-p',
    JSON.stringify(ops),
  );
}

/**
 * `kubectl delete` of the plan's target, run only while it is at `version`: kubectl delete has no
 * precondition, so the command compares the version first (the bot sends uid and resourceVersion).
 */
export function deleteCommand(target: Ref, version: string | undefined): string {
  const resource = target.kind.toLowerCase();
  const remove = kubectl('delete', resource, target.name, ...namespaceArgs(target), '--cascade=orphan');
  if (version === undefined) return remove;
  const read = kubectl(
    'get',
    resource,
    target.name,
    ...namespaceArgs(target),
    '-o',
    'jsonpath={.metadata.resourceVersion}',
  );
  return `[ "$(${read})" = ${shellQuote(version)} ] && ${remove}`;
}

/** `kubectl get` of the target as YAML: how to see what a change whose outcome is unknown left. */
export function getCommand(target: Ref): string {
  return kubectl('get', target.kind.toLowerCase(), target.name, ...namespaceArgs(target), '-o', 'yaml');
}

/**
 * `kubectl create` with the object in a quoted heredoc (nothing in it is expanded); the terminator is
 * one that no line of the YAML equals, and it must stay at column 0 wherever the command is shown.
 * Create, not apply: an object of that name made since the check is refused, never merged into (its
 * selector kept, another workload changed), as `fix` refuses it.
 */
export function createCommand(object: Record<string, unknown>): string {
  const verb = 'create';
  const yaml = toKubeYaml(object).trimEnd();
  const lines = new Set(yaml.split('\n'));
  let end = 'EOF';
  for (let i = 1; lines.has(end); i++) end = `EOF${i}`;
  return `kubectl ${verb} -f - <<'${end}'\n${yaml}\n${end}`;
}

function paRef(pa: PeerAuthentication): Ref & { apiVersion: string } {
  return { apiVersion: PA_API, kind: 'PeerAuthentication', namespace: pa.meta.namespace, name: pa.meta.name };
}

export function setPeerAuthenticationMode(
  pa: PeerAuthentication,
  mode: 'PERMISSIVE' | 'STRICT',
): RemediationPlan {
  const target = paRef(pa);
  const body = { spec: { mtls: { mode } } };
  return {
    id: `set-mode-${mode.toLowerCase()}:PeerAuthentication/${pa.meta.namespace}/${pa.meta.name}`,
    title: `Switch PeerAuthentication ${pa.meta.namespace}/${pa.meta.name} to ${mode}`,
    risk:
      mode === 'PERMISSIVE'
        ? 'Every workload under this policy accepts plaintext again until you return to STRICT; mesh clients keep using mTLS.'
        : 'Clients without a sidecar (or ambient) will be rejected; check the connectivity matrix first.',
    action: 'merge-patch',
    target,
    body,
    kubectl: mergePatchCommand('peerauthentication', target, body),
  };
}

/**
 * A namespace-wide policy where none exists (e.g. PERMISSIVE under a mesh-wide STRICT), named `name`:
 * "default" unless that name is taken by a policy with a selector (see namespace-policy-fix.ts).
 */
export function createNamespacePolicy(
  namespace: string,
  mode: 'PERMISSIVE' | 'STRICT',
  name = 'default',
): RemediationPlan {
  const object = {
    apiVersion: PA_API,
    kind: 'PeerAuthentication',
    metadata: { name, namespace },
    spec: { mtls: { mode } },
  };
  const named = name === 'default' ? '' : ` named ${name} ("default" there is a workload policy)`;
  return {
    id: `create-${mode.toLowerCase()}:PeerAuthentication/${namespace}/${name}`,
    title: `Create a ${mode} PeerAuthentication for namespace ${namespace}${named}`,
    risk:
      mode === 'PERMISSIVE'
        ? `Workloads in ${namespace} accept plaintext again (overrides the mesh-wide mode for this namespace only).`
        : `Clients without a sidecar are reset when they call ${namespace}; check the connectivity matrix first.`,
    action: 'create',
    target: { apiVersion: PA_API, kind: 'PeerAuthentication', namespace, name },
    body: object,
    kubectl: createCommand(object),
  };
}

/**
 * A port-level exception keyed by the container (target) port, which needs a selector policy.
 * PERMISSIVE rather than DISABLE: plaintext clients get in and mesh clients keep mTLS (a port-level
 * DISABLE would also break clients whose DestinationRule says ISTIO_MUTUAL).
 */
export function addPortException(
  namespace: string,
  selector: Labels,
  targetPort: number,
  existing: PeerAuthentication | undefined,
  workload: Pick<Workload, 'kind' | 'meta'>,
  options: { strictWorkload?: boolean; scope?: string } = {},
): RemediationPlan {
  const portEntry = { [String(targetPort)]: { mode: 'PERMISSIVE' } };
  // For ambient workloads that inherit STRICT: the policy's own STRICT makes istiod convert the exception
  // alone (authorization.go convertPeerAuthentication: DENY no principal AND port != N), whatever the
  // namespace and mesh policies are; without it, a namespace policy that has no mode makes the
  // conversion skip the port while the workload drops the static STRICT policy, opening every port.
  const mtls = options.strictWorkload ? { mtls: { mode: 'STRICT' } } : {};
  const others = options.strictWorkload ? 'other ports stay STRICT' : 'other ports keep their mode';
  // An id names one plan: the variant that also pins STRICT is another change than the bare exception.
  const strictSuffix = options.strictWorkload ? ':strict' : '';
  if (existing?.selector) {
    const target = paRef(existing);
    const body = { spec: { ...mtls, portLevelMtls: portEntry } };
    return {
      id: `port-exception:PeerAuthentication/${namespace}/${existing.meta.name}:${targetPort}${strictSuffix}`,
      title: `Accept plaintext on port ${targetPort} in PeerAuthentication ${namespace}/${existing.meta.name}${options.strictWorkload ? ', with mode STRICT for the rest' : ''}`,
      risk: `Port ${targetPort} of the selected workloads accepts plaintext; ${others}.`,
      action: 'merge-patch',
      target,
      body,
      kubectl: mergePatchCommand('peerauthentication', target, body),
    };
  }
  const name = portExceptionName(workload, selector, targetPort);
  const object = {
    apiVersion: PA_API,
    kind: 'PeerAuthentication',
    metadata: { name, namespace },
    spec: { selector: { matchLabels: { ...selector } }, ...mtls, portLevelMtls: portEntry },
  };
  return {
    id: `port-exception:PeerAuthentication/${namespace}/${name}:${targetPort}${strictSuffix}`,
    title: `Create a workload policy that accepts plaintext on port ${targetPort} only`,
    risk: `Port ${targetPort} of ${options.scope ?? workload.meta.name} accepts plaintext; ${options.strictWorkload ? 'other ports stay STRICT' : 'other ports keep the namespace/mesh mode'}. The selector is required: Istio ignores portLevelMtls without one.`,
    action: 'create',
    target: { apiVersion: PA_API, kind: 'PeerAuthentication', namespace, name },
    body: object,
    kubectl: createCommand(object),
  };
}

/**
 * `<workload>-port-<port>` names a Deployment's exception whose selector is its own `app` label; any
 * other kind (a StatefulSet may share the Deployment's name) or selector gets the kind in the name and
 * a hash of the whole identity, so two different exceptions never share a name or a plan id.
 */
function portExceptionName(
  workload: Pick<Workload, 'kind' | 'meta'>,
  selector: Labels,
  port: number,
): string {
  const { kind, meta } = workload;
  const readable = kind === 'Deployment' ? meta.name : `${meta.name}-${kind.toLowerCase()}`;
  const ownApp = Object.keys(selector).length === 1 && selector.app === meta.name;
  const identity = JSON.stringify([kind, meta.name, canonicalLabels(selector), port]);
  return generatedName(readable, `port-${port}`, identity, kind === 'Deployment' && ownApp);
}

/**
 * Set a DestinationRule's TLS mode at the field that won (top level, a port entry or a subset) to
 * ISTIO_MUTUAL or DISABLE. Only `tls.mode` changes: the patch is computed from the live object when the
 * plan is previewed or applied, and the kubectl equivalent pins the list entries with `test` ops.
 */
export function setDestinationRuleTls(
  rule: DestinationRule,
  path: string,
  mode: RuleTlsMode,
  options: { readonly sni?: string } = {},
): RemediationPlan {
  const target = drTarget(rule);
  const { edit, jsonPatch } = setTlsModeEdit(rule, path, mode, options.sni);
  // ISTIO_MUTUAL replaces a SIMPLE/MUTUAL block whole: its SANs and SNI would stay in force otherwise.
  const others = mode === 'ISTIO_MUTUAL' ? otherTlsFields(tlsAt(rule, path)) : [];
  const dropped =
    others.length > 0
      ? ` The block's other fields (${others.join(', ')}) are removed: they name another server's certificate, and ISTIO_MUTUAL would check the server against those subjectAltNames instead of its Istio identity.`
      : '';
  return {
    id: `set-tls-${mode.toLowerCase().replace('_', '-')}:DestinationRule/${rule.meta.namespace}/${rule.meta.name}:${path}`,
    title: `Set ${path.replace(/^spec\./, '')}.mode to ${mode} in DestinationRule ${rule.meta.namespace}/${rule.meta.name}`,
    risk: tlsRisk(mode, options.sni) + dropped,
    action: 'merge-patch',
    target,
    edit,
    kubectl: jsonPatch
      ? jsonPatchCommand('destinationrule', target, jsonPatch)
      : mergePatchCommand('destinationrule', target, nestedTls(path, mode)),
  };
}

/** A tls.mode a plan sets: Istio mTLS, plaintext, or TLS originated to an external host. */
export type RuleTlsMode = 'ISTIO_MUTUAL' | 'DISABLE' | 'SIMPLE';

function tlsRisk(mode: RuleTlsMode, sni: string | undefined): string {
  if (mode === 'ISTIO_MUTUAL')
    return 'Clients using this rule send Istio mTLS; servers without a sidecar or with DISABLE would then fail.';
  if (mode === 'SIMPLE')
    return `Clients using this rule originate TLS${sni ? ` (sni ${sni})` : ''} and check the server against the system CAs: applications must call it over plain HTTP.`;
  return 'Clients using this rule send plaintext; STRICT servers would reject them.';
}

/** The snapshot's tls block at a field path of the rule (`spec.trafficPolicy.portLevelSettings[0].tls`). */
function tlsAt(rule: DestinationRule, path: string): ClientTlsSettings | undefined {
  let node: unknown = { spec: { trafficPolicy: rule.trafficPolicy, subsets: rule.subsets } };
  for (const part of path.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== ''))
    node = (node as Record<string, unknown> | undefined)?.[part];
  return node as ClientTlsSettings | undefined;
}

function otherTlsFields(tls: ClientTlsSettings | undefined): string[] {
  return Object.entries(tls ?? {})
    .filter(([key, value]) => key !== 'mode' && value !== undefined && value !== null)
    .map(([key]) => key);
}

/**
 * Set the TLS mode of some Service ports only, in the rule's top-level portLevelSettings (their entries,
 * or new ones): the rule's top-level tls serves other ports of the host that work, and changing it
 * would break them. Computed from the live object when previewed or applied.
 */
export function setDestinationRulePortTls(
  rule: DestinationRule,
  ports: readonly number[],
  mode: RuleTlsMode,
  options: { readonly sni?: string } = {},
): RemediationPlan {
  const target = drTarget(rule);
  const { edit, mergePatch, jsonPatch } = setPortTlsModeEdit(rule, ports, mode, options.sni);
  const listed = `port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}`;
  return {
    id: `set-port-tls-${mode.toLowerCase().replace('_', '-')}:DestinationRule/${rule.meta.namespace}/${rule.meta.name}:${ports.join(',')}`,
    title: `Set tls.mode ${mode} for ${listed} only in DestinationRule ${rule.meta.namespace}/${rule.meta.name} (portLevelSettings)`,
    risk: `Only calls to ${rule.host} on ${listed} change; the rule's other ports keep its top-level tls. A port entry replaces the top-level traffic policy for its port: copy in its load balancing, connection pool or outlier settings if it has any.`,
    action: 'merge-patch',
    target,
    edit,
    kubectl: jsonPatch
      ? jsonPatchCommand('destinationrule', target, jsonPatch)
      : mergePatchCommand('destinationrule', target, mergePatch ?? {}),
  };
}

/**
 * Remove a rule's tls block so auto mTLS chooses per endpoint: Istio mTLS to the pods with a sidecar,
 * plaintext to the rest. Offered when the service's backends need different modes, which no single
 * tls.mode serves.
 */
export function removeDestinationRuleTls(rule: DestinationRule, path: string): RemediationPlan {
  const target = drTarget(rule);
  const { edit, jsonPatch } = removeTlsEdit(rule, path);
  const listed = path.includes('[');
  return {
    id: `remove-tls:DestinationRule/${rule.meta.namespace}/${rule.meta.name}:${path}`,
    title: `Remove ${path.replace(/^spec\./, '')} from DestinationRule ${rule.meta.namespace}/${rule.meta.name}, so auto mTLS chooses per endpoint`,
    risk: 'Clients using this rule send Istio mTLS to the pods with a sidecar and plaintext to the others (auto mTLS), for every port the removed block served.',
    action: 'merge-patch',
    target,
    edit,
    kubectl: listed
      ? jsonPatchCommand('destinationrule', target, jsonPatch)
      : mergePatchCommand('destinationrule', target, nestedValue(path, null)),
  };
}

function drTarget(rule: DestinationRule): Ref & { readonly apiVersion: string } {
  return {
    apiVersion: DR_API,
    kind: 'DestinationRule',
    namespace: rule.meta.namespace,
    name: rule.meta.name,
  };
}

function nestedValue(path: string, value: unknown): Record<string, unknown> {
  return path.split('.').reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<
    string,
    unknown
  >;
}

function nestedTls(path: string, mode: string): Record<string, unknown> {
  return nestedValue(path, { mode });
}

/**
 * A rule for one namespace's services that wins over a broader wildcard in the same namespace (most
 * specific host wins), so fixing one namespace does not change the TLS of every other.
 */
export function createNamespaceDestinationRule(
  ruleNamespace: string,
  targetNamespace: string,
  mode: 'ISTIO_MUTUAL' | 'DISABLE',
): RemediationPlan {
  const host = `*.${targetNamespace}.svc.cluster.local`;
  // A namespace name spells itself; only one too long to fit beside the suffix is shortened and hashed.
  const name = generatedName(
    targetNamespace,
    mode === 'DISABLE' ? 'plaintext' : 'mtls',
    targetNamespace,
    true,
  );
  const object = {
    apiVersion: DR_API,
    kind: 'DestinationRule',
    metadata: { name, namespace: ruleNamespace },
    spec: { host, trafficPolicy: { tls: { mode } } },
  };
  return {
    id: `create-namespace-dr:DestinationRule/${ruleNamespace}/${name}`,
    title: `Add DestinationRule ${ruleNamespace}/${name} (${host}: ${mode}), more specific than the wildcard`,
    risk: `Only calls to services in ${targetNamespace} change; a rule in ${targetNamespace} itself or for an exact host still wins over it.`,
    action: 'create',
    target: { apiVersion: DR_API, kind: 'DestinationRule', namespace: ruleNamespace, name },
    body: object,
    kubectl: createCommand(object),
  };
}

/**
 * A rule for one host next to a wildcard rule that covers it: in the wildcard's namespace, with its
 * export and workload selector, so the same clients pick it (the most specific host wins) and only
 * calls to this host change. Flipping the wildcard instead would change every host it covers. When
 * only some of the host's ports fail, the rule keeps the wildcard's TLS and changes those ports only.
 */
export function createHostDestinationRule(
  wildcard: DestinationRule,
  host: string,
  mode: 'ISTIO_MUTUAL' | 'DISABLE',
  failingPorts?: readonly number[],
): RemediationPlan {
  const namespace = wildcard.meta.namespace;
  const name = hostRuleName(host, mode === 'DISABLE' ? 'plaintext' : 'mtls');
  const kept = wildcard.trafficPolicy;
  const portEntries = new Map<number, Record<string, unknown>>();
  const trafficPolicy: Record<string, unknown> = {};
  if (failingPorts && failingPorts.length > 0) {
    if (kept?.tls) trafficPolicy.tls = { mode: kept.tls.mode };
    for (const entry of kept?.portLevelSettings ?? [])
      if (entry.tls)
        portEntries.set(entry.port, { port: { number: entry.port }, tls: { mode: entry.tls.mode } });
    for (const port of failingPorts) portEntries.set(port, { port: { number: port }, tls: { mode } });
  } else {
    // Every port of the host takes `mode`: a copied port entry would override it (the wildcard's
    // own port entry may be what fails).
    trafficPolicy.tls = { mode };
  }
  if (portEntries.size > 0)
    trafficPolicy.portLevelSettings = [...portEntries.keys()]
      .sort((a, b) => a - b)
      .map((p) => portEntries.get(p));
  const object = {
    apiVersion: DR_API,
    kind: 'DestinationRule',
    metadata: { name, namespace },
    spec: {
      host,
      // Copied whenever set: a rule without exportTo follows the mesh's default, which may be ".".
      ...(wildcard.exportTo.length > 0 ? { exportTo: [...wildcard.exportTo] } : {}),
      ...(wildcard.workloadSelector
        ? { workloadSelector: { matchLabels: { ...wildcard.workloadSelector } } }
        : {}),
      trafficPolicy,
    },
  };
  const ports =
    failingPorts && failingPorts.length > 0
      ? ` port${failingPorts.length > 1 ? 's' : ''} ${failingPorts.join(', ')}`
      : '';
  return {
    id: `create-host-dr:DestinationRule/${namespace}/${name}`,
    title: `Add DestinationRule ${namespace}/${name} for ${host}${ports} only (tls ${mode}), more specific than ${wildcard.meta.name} (${wildcard.host})`,
    risk: `Only calls to ${host}${ports} from the clients that use ${namespace}/${wildcard.meta.name} change. For this host the new rule replaces that rule's whole traffic policy: copy in its load balancing, connection pool or outlier settings if it has any.`,
    action: 'create',
    target: { apiVersion: DR_API, kind: 'DestinationRule', namespace, name },
    body: object,
    kubectl: createCommand(object),
  };
}

const SERVICE_DOMAIN = '.svc.cluster.local';

/**
 * A DNS-1123 name for a host's rule: `cart-shop-plaintext` for cart.shop.svc.cluster.local. Dots become
 * hyphens, so the readable form spells the host only when no label has a hyphen of its own (else
 * cart.shop-eu and cart-shop.eu would meet) and the host is lower case; it drops
 * `.svc.cluster.local`, which a service host always has after exactly two labels, so another host
 * of two labels (cart.shop itself) could meet it. Any other host gets a hash of the host.
 */
function hostRuleName(host: string, suffix: string): string {
  const service = host.endsWith(SERVICE_DOMAIN);
  const shown = service ? host.slice(0, -SERVICE_DOMAIN.length) : host;
  const labels = shown.split('.');
  const spelled = labels.every((l) => /^[a-z0-9]+$/.test(l)) && (labels.length === 2) === service;
  return generatedName(labels.join('-'), suffix, host, spelled);
}

/** What a rule for an external host sets: originated TLS, or the app's own bytes. */
export type ExternalTls = 'SIMPLE' | 'DISABLE';

/**
 * A rule for an external host: TLS origination (SIMPLE with SNI) for an app that sends plaintext to a
 * TLS port, or DISABLE, which passes the app's own bytes (its TLS, or plain HTTP to a plaintext port).
 * `mode` is one mode for every port, or a mode for each port that changes when the host's ports need
 * different ones (the others keep the TLS `beside` gives them). Created where it wins for the failing
 * clients: `beside` is the wildcard rule they use now, whose namespace, export and workload selector
 * the new rule takes (the exact host wins there); without one, the ServiceEntry's namespace.
 */
export function createExternalDestinationRule(
  namespace: string,
  host: string,
  mode: ExternalTls | ReadonlyMap<number, ExternalTls>,
  options: { readonly beside?: DestinationRule; readonly appSpeaksTls?: boolean } = {},
): RemediationPlan {
  const { beside } = options;
  const name = externalRuleName(host, 'tls');
  const tlsFor = (m: ExternalTls) => (m === 'SIMPLE' ? { mode: m, sni: host } : { mode: m });
  const object = {
    apiVersion: DR_API,
    kind: 'DestinationRule',
    metadata: { name, namespace },
    spec: {
      host,
      // Copied whenever set: a rule without exportTo follows the mesh's default, which may be ".".
      ...(beside && beside.exportTo.length > 0 ? { exportTo: [...beside.exportTo] } : {}),
      ...(beside?.workloadSelector
        ? { workloadSelector: { matchLabels: { ...beside.workloadSelector } } }
        : {}),
      trafficPolicy: typeof mode === 'string' ? { tls: tlsFor(mode) } : perPortPolicy(beside, mode, tlsFor),
    },
  };
  const where = beside
    ? `, more specific than ${beside.meta.namespace}/${beside.meta.name} (${beside.host})`
    : '';
  const besideRisk = beside
    ? ` Only calls to ${host} from the clients that use ${beside.meta.namespace}/${beside.meta.name} change; for this host the new rule replaces that rule's whole traffic policy.`
    : '';
  if (typeof mode !== 'string') {
    const listed = [...mode].map(([port, m]) => `${port} ${m}`).join(', ');
    return {
      id: `create-external-dr-ports:DestinationRule/${namespace}/${name}`,
      title: `Give ${host} the TLS each port needs: ${listed} (DestinationRule)${where}`,
      risk: `Ports set to SIMPLE get TLS from the sidecar (applications call them over plain HTTP); ports set to DISABLE pass the application's own bytes; the host's other ports keep their TLS.${besideRisk}`,
      action: 'create',
      target: { apiVersion: DR_API, kind: 'DestinationRule', namespace, name },
      body: object,
      kubectl: createCommand(object),
    };
  }
  return {
    // Both modes create an object of this name: the mode is part of the id, so a button never resolves
    // to the other plan.
    id: `create-external-dr-${mode.toLowerCase()}:DestinationRule/${namespace}/${name}`,
    title:
      mode === 'SIMPLE'
        ? `Originate TLS to ${host} (DestinationRule SIMPLE with sni)${where}`
        : options.appSpeaksTls === false
          ? `Send plain HTTP to ${host} as the application writes it (DestinationRule DISABLE)${where}`
          : `Let the application's own TLS through to ${host} (DestinationRule DISABLE)${where}`,
    risk:
      (mode === 'SIMPLE'
        ? 'Applications must then call this host over plain HTTP; the sidecar adds TLS and checks the server against the system CAs.'
        : options.appSpeaksTls === false
          ? 'No TLS towards this host: the server serves plaintext there.'
          : 'No mesh mTLS towards this host; the application keeps its own TLS end to end.') + besideRisk,
    action: 'create',
    target: { apiVersion: DR_API, kind: 'DestinationRule', namespace, name },
    body: object,
    kubectl: createCommand(object),
  };
}

/** A traffic policy with `modes` for their ports, and the TLS `beside` gives the others kept. */
function perPortPolicy(
  beside: DestinationRule | undefined,
  modes: ReadonlyMap<number, ExternalTls>,
  tlsFor: (m: ExternalTls) => Record<string, unknown>,
): Record<string, unknown> {
  const kept = beside?.trafficPolicy;
  const entries = new Map<number, Record<string, unknown>>();
  for (const e of kept?.portLevelSettings ?? []) if (e.tls) entries.set(e.port, { ...e.tls });
  for (const [port, m] of modes) entries.set(port, tlsFor(m));
  return {
    ...(kept?.tls ? { tls: { ...kept.tls } } : {}),
    portLevelSettings: [...entries.keys()]
      .sort((a, b) => a - b)
      .map((port) => ({ port: { number: port }, tls: entries.get(port) })),
  };
}

export function enableAutoMtls(source: Ref | undefined, meshText: string | undefined): RemediationPlan {
  if (source?.kind === 'IstioOperator') {
    const target = { apiVersion: 'install.istio.io/v1alpha1', ...source };
    const body = { spec: { meshConfig: { enableAutoMtls: true } } };
    return {
      id: `enable-auto-mtls:IstioOperator/${source.namespace}/${source.name}`,
      title: 'Enable auto mTLS in the IstioOperator mesh config',
      risk: 'Sidecar clients without a DestinationRule switch to mTLS towards sidecar servers; istiod pushes new config.',
      action: 'merge-patch',
      target,
      body,
      kubectl: mergePatchCommand('istiooperator', target, body),
    };
  }
  const ref = source ?? { kind: 'ConfigMap', namespace: 'istio-system', name: 'istio' };
  const updated = meshTextWithAutoMtls(meshText);
  const target = { apiVersion: 'v1', ...ref, kind: 'ConfigMap' };
  // Pasted later, the command must not write back the mesh text of the check over newer settings:
  // the `test` op makes kubectl refuse if the text changed since.
  const kubectlCommand =
    meshText === undefined
      ? mergePatchCommand('configmap', target, { data: { mesh: updated } })
      : jsonPatchCommand('configmap', target, [
          { op: 'test', path: '/data/mesh', value: meshText },
          { op: 'replace', path: '/data/mesh', value: updated },
        ]);
  return {
    id: `enable-auto-mtls:ConfigMap/${ref.namespace}/${ref.name}`,
    title: `Enable auto mTLS (enableAutoMtls: true in ConfigMap ${ref.namespace}/${ref.name})`,
    risk: 'Sidecar clients without a DestinationRule switch to mTLS towards sidecar servers; istiod pushes new config. If Istio is managed by Helm or IstioOperator, change it there too or it will be reverted.',
    action: 'merge-patch',
    target,
    edit: { kind: 'enable-auto-mtls-mesh' },
    kubectl: kubectlCommand,
  };
}

export function restartWorkload(workload: Workload, why: string): RemediationPlan {
  const { namespace, name } = workload.meta;
  if (workload.kind === 'Pod') {
    // A bare pod has no controller to recreate it: it is deleted and created again from its live spec
    // (kubectl replace --force does both), by hand.
    return {
      id: `restart:Pod/${namespace}/${name}`,
      title: `Delete and recreate bare pod ${namespace}/${name} (${why})`,
      risk: 'The pod has no controller: it is deleted and created again from its live spec, and is unavailable in between. Consider running it under a Deployment.',
      action: 'rollout-restart',
      target: { apiVersion: 'v1', kind: 'Pod', namespace, name },
      manual: true,
      kubectl: `${kubectl('get', 'pod', name, '-n', namespace, '-o', 'yaml')} | ${kubectl('replace', '--force', '-f', '-')}`,
    };
  }
  const kind = workload.kind;
  const resource = kind.toLowerCase();
  const target = { apiVersion: 'apps/v1', kind, namespace, name };
  const body = {
    spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '<now>' } } } },
  };
  return {
    id: `restart:${kind}/${namespace}/${name}`,
    title: `Restart ${resource} ${namespace}/${name} (${why})`,
    risk: 'Pods are replaced one by one (rolling); a single-replica workload is briefly unavailable.',
    action: 'rollout-restart',
    target,
    body,
    kubectl: kubectl('rollout', 'restart', `${resource}/${name}`, '-n', namespace),
  };
}

export function restartIstiodThenWorkloads(namespace: string): RemediationPlan {
  const target = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'istio-system', name: 'istiod' };
  return {
    id: `restart-istiod:Deployment/istio-system/istiod:${namespace}`,
    namespaces: [namespace],
    title: `Restart istiod, then the Deployments in ${namespace}, to re-issue certificates`,
    risk: 'istiod restarts (proxies reconnect); once it is rolled out, every Deployment in the namespace rolls (StatefulSets and DaemonSets with sidecars need a restart of their own).',
    action: 'rollout-restart',
    target,
    manual: true,
    kubectl: afterIstiodRestart('istio-system', [
      kubectl('rollout', 'restart', 'deployment', '-n', namespace),
    ]),
  };
}

/**
 * Restart istiod, wait until the new istiod is rolled out (a readiness wait would pass on the old
 * pod), then the steps: chained with &&, so workloads never roll while the old istiod still issues.
 */
function afterIstiodRestart(namespace: string, steps: readonly string[]): string {
  return [
    kubectl('rollout', 'restart', 'deployment', 'istiod', '-n', namespace),
    kubectl('rollout', 'status', 'deployment', 'istiod', '-n', namespace, '--timeout=5m'),
    ...steps,
  ].join(' && \\\n  ');
}

/**
 * An expired or expiring CA certificate (in the CA Secret, or sent in the proxies' chains): restarting
 * istiod alone reloads the same CA, so the CA is replaced first (by hand: it takes new key material),
 * then istiod restarts and every namespace with sidecars rolls to get certificates from the new CA.
 */
export function rotateCaThenRestart(
  istioNamespace: string,
  caSecret: string,
  sidecarNamespaces: readonly string[],
): RemediationPlan {
  const target = { apiVersion: 'v1', kind: 'Secret', namespace: istioNamespace, name: caSecret };
  const namespaces = [...sidecarNamespaces].sort();
  const restarts =
    namespaces.length <= 5
      ? namespaces.map((ns) => kubectl('rollout', 'restart', 'deployment', '-n', ns))
      : [
          `for ns in ${namespaces.map(shellQuote).join(' ')}; do kubectl rollout restart deployment -n "$ns"; done`,
        ];
  return {
    id: `rotate-ca:Secret/${istioNamespace}/${caSecret}`,
    namespaces,
    title: `Replace the CA in Secret ${istioNamespace}/${caSecret}, then restart istiod and the Deployments of ${namespaces.length} namespace${namespaces.length === 1 ? '' : 's'} with sidecars`,
    risk: 'istiod restarts (proxies reconnect); once it is rolled out, every Deployment in those namespaces rolls (StatefulSets and DaemonSets with sidecars need a restart of their own). Keep the old root in root-cert.pem beside the new one until every workload has rolled, or calls between old and new certificates fail.',
    action: 'rollout-restart',
    target,
    manual: true,
    kubectl: [
      `# First put the new CA into Secret ${istioNamespace}/${caSecret} (ca-cert.pem, ca-key.pem, cert-chain.pem, root-cert.pem): a restart alone reloads the expired one.`,
      afterIstiodRestart(istioNamespace, restarts),
    ].join('\n'),
  };
}

/**
 * Whether labelling a namespace for injection and restarting its workloads is a fix to offer: not for
 * the namespaces the injector skips, nor for Istio's own (istiod and the gateways would restart).
 */
export function injectableNamespace(namespace: string, rootNamespace: string): boolean {
  return !isNeverInjected(namespace) && !isIstioNamespace(namespace, rootNamespace);
}

/** The kinds with a rollout: a restart or a change of their pod template replaces their pods. */
export const RESTARTABLE: readonly string[] = ['Deployment', 'StatefulSet', 'DaemonSet'];
const MAX_NAMED_RESTARTS = 10;

/**
 * Label a namespace for injection; the printed commands then restart the workloads in it that have no
 * sidecar, by kind and name (a StatefulSet or DaemonSet as much as a Deployment). Without the list,
 * every Deployment of the namespace.
 */
export function labelNamespaceForInjection(
  namespace: string,
  workloads?: readonly Workload[],
): RemediationPlan {
  const target = { apiVersion: 'v1', kind: 'Namespace', name: namespace };
  const body = { metadata: { labels: { 'istio-injection': 'enabled' } } };
  const without = workloads?.filter((w) => w.proxy === 'none' && !w.hostNetwork);
  const restartable = without?.filter((w) => RESTARTABLE.includes(w.kind));
  const others = without?.filter((w) => !RESTARTABLE.includes(w.kind)) ?? [];
  // By name while the line stays short; past that, every workload of each kind present (a command
  // cut in a chat message would run without its `-n`).
  const kinds = [...new Set(restartable?.map((w) => w.kind.toLowerCase()))].sort();
  const restart = !restartable
    ? [kubectl('rollout', 'restart', 'deployment', '-n', namespace)]
    : restartable.length > MAX_NAMED_RESTARTS
      ? kinds.map((kind) => kubectl('rollout', 'restart', kind, '-n', namespace))
      : restartable.length > 0
        ? [
            kubectl(
              'rollout',
              'restart',
              ...restartable.map((w) => `${w.kind.toLowerCase()}/${w.meta.name}`).sort(),
              '-n',
              namespace,
            ),
          ]
        : [];
  const byHand =
    others.length > 0
      ? ` ${others
          .slice(0, 3)
          .map((w) => `${w.kind} ${w.meta.name}`)
          .join(
            ', ',
          )}${others.length > 3 ? ` and ${others.length - 3} more` : ''} have no rollout to restart: a CronJob's next run gets the sidecar; Jobs and bare pods must be created again.`
      : '';
  return {
    id: `label-injection:Namespace/${namespace}`,
    title: `Label namespace ${namespace} for sidecar injection, then restart its workloads`,
    risk: `New pods get a sidecar; existing pods need a restart. Check that apps tolerate the proxy (UID 1337, init ordering).${byHand}`,
    action: 'merge-patch',
    target,
    body,
    kubectl: [
      kubectl('label', 'namespace', namespace, 'istio-injection=enabled', '--overwrite'),
      ...restart,
    ].join('\n'),
  };
}
