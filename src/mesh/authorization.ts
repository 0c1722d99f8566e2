// Whether the AuthorizationPolicies of a server deny a call that reaches it without a peer identity:
// plaintext (a client without a proxy, a DestinationRule DISABLE, auto mTLS towards a DISABLE
// namespace) or TLS the app originates, which PERMISSIVE and DISABLE servers pass through. Such a call
// has no source principal, namespace or service account, so it matches no rule that asks for one and
// every rule that asks for its absence.
//
// Follows istio/istio: pilot/pkg/model/authorization.go (ListAuthorizationPolicies: the root namespace's
// policies for every workload, then the workload's namespace) and policyattachment.go (ShouldAttachPolicy:
// selector, targetRef(s) never bind by selector); pilot/pkg/security/authz/builder/builder.go (DENY before
// ALLOW, an ALLOW policy without rules matches nothing, dry-run policies are only shadow rules) and
// authz/model/model.go + generator.go (source.principals / namespaces / serviceAccounts / trustDomains
// and the when keys source.* become `authenticated` matchers, which a connection without a peer
// certificate never matches; ports are the destination port the sidecar sees: the container port).
// ztunnel (ambient servers): pilot/pkg/serviceregistry/ambient/authorization.go (convertAuthorizationPolicy,
// handleRule: an ALLOW rule with an HTTP attribute never matches, CUSTOM and AUDIT are not sent) and
// istio/ztunnel src/rbac.rs + src/state.rs assert_rbac (a plaintext connection has no source identity).
//
// A call with mTLS carries the client's identity (spiffe://<trust domain>/ns/<namespace>/sa/<account>):
// judged by it where the policies tell identities apart, so that a plan giving a caller its identity is
// not said to repair a call the policy still refuses (generator.go: a namespace is matched as
// `.*/ns/<namespace>/.*` of the principal; trustdomain/bundle.go expands principals to the aliases).
//
// Only certain denials are reported. Anything the call's identity does not decide (HTTP attributes,
// IP blocks, request principals, SNI) counts as "may match", so a DENY rule with one never denies here,
// and an ALLOW rule with one (and no identity condition) may let the call in. CUSTOM policies can only
// deny more, AUDIT none: both are left out. A call denied whatever its identity (an ALLOW policy without
// rules, a rule for other ports only) is not reported: mTLS would not let it in.
import type {
  AuthorizationCondition,
  AuthorizationOperation,
  AuthorizationPolicy,
  AuthorizationRule,
  AuthorizationSource,
  Workload,
} from '../snapshot/types.js';
import { isTrue } from './parse-bool.js';
import { selectorMatches } from './selectors.js';
import { compareByAge } from './server-mode.js';

/** Where the policy is enforced: the server's sidecar (Envoy RBAC) or ztunnel (ambient). */
export type Enforcer = 'sidecar' | 'ztunnel';

export interface AuthorizationDenial {
  /** DENY: a DENY policy's rule matches the call; ALLOW: the workload has ALLOW policies and none matches. */
  readonly action: 'DENY' | 'ALLOW';
  readonly enforcer: Enforcer;
  /** The DENY policy whose rule matches, or every ALLOW policy of the workload (oldest first). */
  readonly policies: readonly AuthorizationPolicy[];
  /**
   * The fields that ask for an identity (or for its absence), as paths into each policy
   * (`spec.rules[0].from[0].source.principals`): what the call lacks.
   */
  readonly identityFields: readonly { readonly policy: AuthorizationPolicy; readonly path: string }[];
}

/** true: matches; false: cannot match; undefined: may match (what decides it is not known here). */
type Tri = boolean | undefined;

function and(values: Iterable<Tri>): Tri {
  let result: Tri = true;
  for (const v of values) {
    if (v === false) return false;
    if (v === undefined) result = undefined;
  }
  return result;
}

function or(values: Iterable<Tri>): Tri {
  let result: Tri = false;
  for (const v of values) {
    if (v === true) return true;
    if (v === undefined) result = undefined;
  }
  return result;
}

const not = (v: Tri): Tri => (v === undefined ? undefined : !v);

/**
 * A caller's mTLS identity: spiffe://<trust domain>/ns/<namespace>/sa/<service account>. `trustDomains`
 * is the mesh's trust domain and its aliases, which Istio expands a principal's trust domain to.
 */
export interface PeerIdentity {
  readonly trustDomain: string;
  readonly trustDomains: readonly string[];
  readonly namespace: string;
  readonly serviceAccount: string;
}

/** The caller: no peer identity (`none`), one we do not know (`any`), or its own. */
type Identity = 'none' | 'any' | PeerIdentity;

/**
 * The sidecar filter chain the call lands on: `tcp` where Istio certainly builds TCP RBAC (an explicit
 * TCP protocol, or TLS the app originates), `http` otherwise (an HTTP port, or one it sniffs).
 */
export type FilterChain = 'http' | 'tcp';

/** How a call reaches the server's proxy: its container port and filter chain. */
export interface InboundCall {
  /** The container port called; undefined: not known (policies judged without workloads). */
  readonly port: number | undefined;
  readonly enforcer: Enforcer;
  readonly chain: FilterChain;
}

interface Context extends InboundCall {
  readonly identity: Identity;
  readonly action: 'ALLOW' | 'DENY';
}

/** The part of the peer identity a field or condition reads. */
type IdentityPart = 'principal' | 'namespace' | 'serviceAccount' | 'trustDomain';

// Source fields that match the peer identity (principal, its namespace, service account, trust domain).
const IDENTITY_SOURCE_FIELDS = [
  ['principals', 'notPrincipals', 'principal'],
  ['namespaces', 'notNamespaces', 'namespace'],
  ['serviceAccounts', 'notServiceAccounts', 'serviceAccount'],
  ['trustDomains', 'notTrustDomains', 'trustDomain'],
] as const satisfies readonly (readonly [
  keyof AuthorizationSource,
  keyof AuthorizationSource,
  IdentityPart,
])[];
// when keys that read the peer identity (model.go New: srcPrincipal, srcNamespace, srcServiceAccount, srcTrustDomain).
const IDENTITY_KEYS = new Map<string, IdentityPart>([
  ['source.principal', 'principal'],
  ['source.namespace', 'namespace'],
  ['source.serviceAccount', 'serviceAccount'],
  ['source.trustDomain', 'trustDomain'],
]);
// What ztunnel reads of a when condition (authorization.go l4WhenAttributes); any other key is HTTP to it.
const ZTUNNEL_WHEN_KEYS = new Set([
  'source.ip',
  'source.namespace',
  'source.principal',
  'destination.ip',
  'destination.port',
]);
// Fields ztunnel cannot enforce (authorization.go httpOperations, httpSources).
const HTTP_OPERATION_FIELDS = [
  'hosts',
  'notHosts',
  'methods',
  'notMethods',
  'paths',
  'notPaths',
] as const satisfies readonly (keyof AuthorizationOperation)[];
const REQUEST_SOURCE_FIELDS = [
  'requestPrincipals',
  'notRequestPrincipals',
] as const satisfies readonly (keyof AuthorizationSource)[];
const HTTP_SOURCE_FIELDS = [
  'remoteIpBlocks',
  'notRemoteIpBlocks',
  ...REQUEST_SOURCE_FIELDS,
] as const satisfies readonly (keyof AuthorizationSource)[];

/**
 * On a TCP filter chain a sidecar's RBAC cannot read HTTP (generator.go: hosts, paths, methods, request
 * principals, request.* conditions fail forTCP); model.go checkError then drops the whole ALLOW rule
 * (builder.go skips it) but only the HTTP condition of a DENY rule, which so matches more.
 */
const dropsHttp = (ctx: Context): boolean => ctx.enforcer === 'sidecar' && ctx.chain === 'tcp';

function hasHttpOnlyField(rule: AuthorizationRule): boolean {
  return (
    (rule.to ?? []).some((o) => o && HTTP_OPERATION_FIELDS.some((f) => o[f])) ||
    (rule.from ?? []).some((s) => s && REQUEST_SOURCE_FIELDS.some((f) => s[f])) ||
    (rule.when ?? []).some((c) => c.key.startsWith('request.'))
  );
}

/** A peer-identity condition: `values` match one of them, `notValues` none of them. */
function identityCondition(
  part: IdentityPart,
  values: readonly string[] | undefined,
  notValues: readonly string[] | undefined,
  ctx: Context,
): Tri {
  const { identity } = ctx;
  // A call without a peer certificate matches no `authenticated` matcher (Envoy RBAC, ztunnel's empty
  // identity): every listed value fails, every excluded value passes.
  if (identity === 'none') return !values;
  if (identity === 'any') return values || notValues ? undefined : true;
  const inList = (list: readonly string[]) => or(list.map((v) => identityValueMatches(part, v, identity)));
  return and([values ? inList(values) : true, notValues ? not(inList(notValues)) : true]);
}

/** Istio's string match (generator.go, ztunnel StringMatch): "*", a prefix*, a *suffix, or exact. */
function stringMatches(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  return value === pattern;
}

/** One listed value against a known identity; undefined where trust domain aliases may decide. */
function identityValueMatches(part: IdentityPart, value: string, id: PeerIdentity): Tri {
  switch (part) {
    case 'namespace':
      return stringMatches(value, id.namespace);
    case 'serviceAccount':
      // "<namespace>/<service account>", matched exactly; another form is not modelled.
      return value.includes('/') ? value === `${id.namespace}/${id.serviceAccount}` : undefined;
    case 'trustDomain':
      return stringMatches(value, id.trustDomain) || undefined;
    case 'principal': {
      const path = `ns/${id.namespace}/sa/${id.serviceAccount}`;
      if (stringMatches(value, `${id.trustDomain}/${path}`)) return true;
      // Istio rewrites a principal's trust domain to each alias (trustdomain/bundle.go): a pattern or
      // another trust domain may still match; only a different namespace or account certainly fails.
      const slash = value.indexOf('/');
      if (value.includes('*') || slash < 0) return undefined;
      if (value.slice(slash + 1) !== path) return false;
      return id.trustDomains.includes(value.slice(0, slash)) ? true : undefined;
    }
  }
}

function portNumber(value: string): number | undefined {
  return /^\d+$/.test(value) && Number(value) <= 65535 ? Number(value) : undefined;
}

/** ports / notPorts, or destination.port: the call's container port against the listed ones. */
function portCondition(
  values: readonly string[] | undefined,
  notValues: readonly string[] | undefined,
  port: number | undefined,
): Tri {
  if (port === undefined) return values || notValues ? undefined : true;
  const inList = (list: readonly string[]): Tri => {
    const ports = list.map(portNumber);
    if (ports.includes(port)) return true;
    // A value that is not a port number: what Istio makes of it is not modelled.
    return ports.includes(undefined) ? undefined : false;
  };
  return and([values ? inList(values) : true, notValues ? not(inList(notValues)) : true]);
}

function sourceMatches(source: AuthorizationSource | undefined, ctx: Context): Tri {
  if (!source) return ctx.enforcer === 'ztunnel' ? undefined : true;
  const parts: Tri[] = [];
  let l4 = false;
  for (const [yes, no, part] of IDENTITY_SOURCE_FIELDS) {
    if (!source[yes] && !source[no]) continue;
    // ztunnel does not read trust domains (handleRule leaves them out of its match).
    if (ctx.enforcer === 'ztunnel' && yes === 'trustDomains') {
      parts.push(undefined);
      continue;
    }
    l4 = true;
    parts.push(identityCondition(part, source[yes], source[no], ctx));
  }
  if (source.ipBlocks || source.notIpBlocks) {
    l4 = true;
    parts.push(undefined);
  }
  for (const field of HTTP_SOURCE_FIELDS)
    if (source[field] && !(dropsHttp(ctx) && field.startsWith('request'))) parts.push(undefined);
  // ztunnel skips a match with nothing it enforces; it then matches nothing (rbac.rs is_empty).
  if (ctx.enforcer === 'ztunnel' && !l4) return parts.length === 0 ? undefined : false;
  return and(parts);
}

function operationMatches(operation: AuthorizationOperation | undefined, ctx: Context): Tri {
  if (!operation) return ctx.enforcer === 'ztunnel' ? undefined : true;
  const hasPorts = !!operation.ports || !!operation.notPorts;
  const ports = hasPorts ? portCondition(operation.ports, operation.notPorts, ctx.port) : true;
  const http = HTTP_OPERATION_FIELDS.some((f) => operation[f]);
  if (ctx.enforcer === 'ztunnel') {
    // Only the ports reach ztunnel; a match without them is empty and matches nothing.
    if (!hasPorts) return http ? false : undefined;
    return ports;
  }
  return and([ports, http && !dropsHttp(ctx) ? undefined : true]);
}

function conditionMatches(condition: AuthorizationCondition, ctx: Context): Tri {
  const { key, values, notValues } = condition;
  if (ctx.enforcer === 'ztunnel' && !ZTUNNEL_WHEN_KEYS.has(key)) {
    // For DENY the condition becomes an empty match (never matches); ALLOW rules were dropped before.
    return false;
  }
  if (dropsHttp(ctx) && key.startsWith('request.')) return true;
  const part = IDENTITY_KEYS.get(key);
  if (part) return identityCondition(part, values, notValues, ctx);
  if (key === 'destination.port') return portCondition(values, notValues, ctx.port);
  // IPs, SNI, headers, JWT claims, Envoy metadata: not known here.
  return undefined;
}

/**
 * Whether a DENY rule matches more than it says on this chain: a sidecar's TCP chain drops its HTTP
 * conditions, ztunnel its HTTP attributes, so "deny legacy on /admin" refuses every call of legacy.
 */
export function denyRuleBroadened(rule: AuthorizationRule, enforcer: Enforcer, chain: FilterChain): boolean {
  if (enforcer === 'ztunnel') return hasHttpAttribute(rule);
  return chain === 'tcp' && hasHttpOnlyField(rule);
}

/** ztunnel drops an ALLOW rule that names any HTTP attribute: it never matches (handleRule). */
function hasHttpAttribute(rule: AuthorizationRule): boolean {
  return (
    (rule.to ?? []).some((o) => o && HTTP_OPERATION_FIELDS.some((f) => o[f])) ||
    (rule.from ?? []).some((s) => s && HTTP_SOURCE_FIELDS.some((f) => s[f])) ||
    (rule.when ?? []).some((c) => !ZTUNNEL_WHEN_KEYS.has(c.key))
  );
}

function ruleMatches(rule: AuthorizationRule, ctx: Context): Tri {
  if (ctx.enforcer === 'ztunnel' && ctx.action === 'ALLOW' && hasHttpAttribute(rule)) return false;
  if (dropsHttp(ctx) && ctx.action === 'ALLOW' && hasHttpOnlyField(rule)) return false;
  return and([
    rule.from ? or(rule.from.map((s) => sourceMatches(s, ctx))) : true,
    rule.to ? or(rule.to.map((o) => operationMatches(o, ctx))) : true,
    and((rule.when ?? []).map((c) => conditionMatches(c, ctx))),
  ]);
}

/** The paths of a rule's fields that read the peer identity. */
function identityPaths(rule: AuthorizationRule, index: number): string[] {
  const paths: string[] = [];
  (rule.from ?? []).forEach((source, i) => {
    for (const [yes, no] of IDENTITY_SOURCE_FIELDS)
      for (const field of [yes, no])
        if (source?.[field]) paths.push(`spec.rules[${index}].from[${i}].source.${field}`);
  });
  (rule.when ?? []).forEach((c, i) => {
    if (IDENTITY_KEYS.has(c.key)) paths.push(`spec.rules[${index}].when[${i}]`);
  });
  return paths;
}

/** Istio's strconv.ParseBool of the istio.io/dry-run annotation (an unparsable value is false). */
function isDryRun(policy: AuthorizationPolicy): boolean {
  return isTrue(policy.meta.annotations['istio.io/dry-run']);
}

interface WorkloadPolicies {
  readonly allow: readonly AuthorizationPolicy[];
  readonly deny: readonly AuthorizationPolicy[];
}

const NONE: WorkloadPolicies = { allow: [], deny: [] };

export class AuthorizationIndex {
  private readonly byNamespace = new Map<string, AuthorizationPolicy[]>();
  private readonly perWorkload = new WeakMap<Workload, WorkloadPolicies>();
  private readonly denials = new WeakMap<Workload, Map<string, AuthorizationDenial | null>>();
  private readonly identitySpecific = new WeakMap<Workload, boolean>();

  constructor(
    policies: readonly AuthorizationPolicy[],
    readonly rootNamespace: string,
  ) {
    for (const p of [...policies].sort(compareByAge)) {
      // targetRef(s) bind only to gateways, waypoints and Services behind a waypoint (ShouldAttachPolicy).
      if (p.targetRefs.length > 0 || isDryRun(p)) continue;
      if (p.action !== 'ALLOW' && p.action !== 'DENY') continue;
      const list = this.byNamespace.get(p.meta.namespace) ?? [];
      list.push(p);
      this.byNamespace.set(p.meta.namespace, list);
    }
  }

  get isEmpty(): boolean {
    return this.byNamespace.size === 0;
  }

  /** The enforced ALLOW and DENY policies, oldest first. */
  policies(): AuthorizationPolicy[] {
    return [...this.byNamespace.values()].flat().sort(compareByAge);
  }

  /** The enforced ALLOW and DENY policies that apply to a workload (root namespace, then its own). */
  policiesFor(workload: Workload): WorkloadPolicies {
    if (this.byNamespace.size === 0) return NONE;
    let found = this.perWorkload.get(workload);
    if (!found) {
      const namespaces = [this.rootNamespace, workload.meta.namespace];
      const applying = [...new Set(namespaces)]
        .flatMap((ns) => this.byNamespace.get(ns) ?? [])
        .filter((p) => selectorMatches(p.selector, workload.podLabels));
      found =
        applying.length === 0
          ? NONE
          : {
              allow: applying.filter((p) => p.action === 'ALLOW'),
              deny: applying.filter((p) => p.action === 'DENY'),
            };
      this.perWorkload.set(workload, found);
    }
    return found;
  }

  /**
   * The denial of a call without a peer identity to the workload's container port, when the policies
   * certainly deny it and a caller with an identity could be let in; undefined otherwise.
   */
  denialWithoutIdentity(workload: Workload, call: InboundCall): AuthorizationDenial | undefined {
    return this.denial(workload, call, 'none');
  }

  /**
   * The denial of a call with this peer identity, when the policies certainly deny it and some other
   * caller could be let in; undefined otherwise.
   */
  denialOf(workload: Workload, call: InboundCall, identity: PeerIdentity): AuthorizationDenial | undefined {
    return this.denial(workload, call, identity);
  }

  /**
   * Whether the policies of a workload tell identities apart (name one other than "*"): only then do
   * callers need judging by their own identity rather than by their class.
   */
  hasIdentitySpecificRules(workload: Workload): boolean {
    const policies = this.policiesFor(workload);
    if (policies === NONE) return false;
    let specific = this.identitySpecific.get(workload);
    if (specific === undefined) {
      specific = [...policies.deny, ...policies.allow].some((p) => p.rules.some(namesAnIdentity));
      this.identitySpecific.set(workload, specific);
    }
    return specific;
  }

  /** Whether this enforced policy tells identities apart (its clients are then judged per identity). */
  policyTellsIdentitiesApart(namespace: string, name: string): boolean {
    const policy = this.byNamespace.get(namespace)?.find((p) => p.meta.name === name);
    return !!policy?.rules.some(namesAnIdentity);
  }

  /**
   * Whether the policies certainly deny a call without a peer identity, whoever sends it: a DENY rule
   * that matches it, or ALLOW policies none of whose rules can.
   */
  refusesWithoutIdentity(workload: Workload, call: InboundCall): boolean {
    const policies = this.policiesFor(workload);
    return policies !== NONE && !!deniedBy(policies, { ...call, identity: 'none' });
  }

  private denial(
    workload: Workload,
    call: InboundCall,
    identity: 'none' | PeerIdentity,
  ): AuthorizationDenial | undefined {
    const policies = this.policiesFor(workload);
    if (policies === NONE) return undefined;
    let cached = this.denials.get(workload);
    if (!cached) {
      cached = new Map();
      this.denials.set(workload, cached);
    }
    const who = identity === 'none' ? '' : `${identity.namespace}/${identity.serviceAccount}`;
    const key = `${call.enforcer}:${call.chain}:${call.port}:${who}`;
    let denial = cached.get(key);
    if (denial === undefined) {
      denial = decide(policies, { ...call, identity }) ?? null;
      cached.set(key, denial);
    }
    return denial ?? undefined;
  }
}

/**
 * The fields of a DENY rule that a call without a peer identity slips past (ISTIO-SECURITY-2021-004):
 * the rule may match a caller with an identity, certainly not one without. Only identity conditions
 * tell those two calls apart (identityCondition), so these are the positive ones (`principals`,
 * `namespaces`, `serviceAccounts`, `trustDomains`, a `source.*` condition's values); empty when the rule
 * matches plaintext too, matches nobody on this port, or may match plaintext by another entry.
 */
export function identityOnlyDenyFields(rule: AuthorizationRule, index: number, call: InboundCall): string[] {
  const ctx = (identity: 'none' | 'any'): Context => ({ ...call, identity, action: 'DENY' });
  if (ruleMatches(rule, ctx('none')) !== false || ruleMatches(rule, ctx('any')) === false) return [];
  const paths: string[] = [];
  (rule.from ?? []).forEach((source, i) => {
    for (const [yes] of IDENTITY_SOURCE_FIELDS)
      if (source?.[yes]) paths.push(`spec.rules[${index}].from[${i}].source.${yes}`);
  });
  (rule.when ?? []).forEach((c, i) => {
    if (IDENTITY_KEYS.has(c.key) && c.values) paths.push(`spec.rules[${index}].when[${i}]`);
  });
  return paths;
}

/** A rule with an identity value other than "*" (which only asks whether there is one). */
function namesAnIdentity(rule: AuthorizationRule): boolean {
  const specific = (list: readonly string[] | undefined) => !!list?.some((v) => v !== '*');
  return (
    (rule.from ?? []).some((s) =>
      IDENTITY_SOURCE_FIELDS.some(([yes, no]) => specific(s?.[yes]) || specific(s?.[no])),
    ) ||
    (rule.when ?? []).some((c) => IDENTITY_KEYS.has(c.key) && (specific(c.values) || specific(c.notValues)))
  );
}

function decide(
  policies: WorkloadPolicies,
  call: Omit<Context, 'action'> & { readonly identity: 'none' | PeerIdentity },
): AuthorizationDenial | undefined {
  const denied = deniedBy(policies, call);
  if (!denied) return undefined;
  // Denied whoever calls: not a question of the caller's identity.
  if (deniedBy(policies, { ...call, identity: 'any' })) return undefined;
  return denied;
}

function deniedBy(
  policies: WorkloadPolicies,
  base: Omit<Context, 'action'>,
): AuthorizationDenial | undefined {
  const denyCtx: Context = { ...base, action: 'DENY' };
  for (const policy of policies.deny) {
    const index = policy.rules.findIndex((r) => ruleMatches(r, denyCtx) === true);
    if (index >= 0) {
      const rule = policy.rules[index] as AuthorizationRule;
      return {
        action: 'DENY',
        enforcer: base.enforcer,
        policies: [policy],
        identityFields: identityPaths(rule, index).map((path) => ({ policy, path })),
      };
    }
  }
  if (policies.allow.length === 0) return undefined;
  const allowCtx: Context = { ...base, action: 'ALLOW' };
  for (const policy of policies.allow)
    for (const rule of policy.rules) if (ruleMatches(rule, allowCtx) !== false) return undefined;
  return {
    action: 'ALLOW',
    enforcer: base.enforcer,
    policies: policies.allow,
    identityFields: policies.allow.flatMap((policy) =>
      policy.rules.flatMap((rule, i) => identityPaths(rule, i).map((path) => ({ policy, path }))),
    ),
  };
}

/** What the caller sees when the server's proxy denies the call. */
export function denialSymptom(enforcer: Enforcer, http: boolean): string {
  if (enforcer === 'ztunnel')
    return 'connection closed by ztunnel as soon as it opens (AuthorizationPolicy denied; curl: (56) Recv failure, HTTP status 000)';
  return http
    ? '403 Forbidden, body "RBAC: access denied" (from the server\'s sidecar)'
    : "connection closed by the server's sidecar as soon as it opens (RBAC denied on a TCP port; curl: (56) Recv failure)";
}
