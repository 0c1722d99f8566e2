// The fix for a DestinationRule whose TLS breaks calls, changing only what the failing (host, port)
// calls use: a field of the rule serves every port without an entry of its own (the top-level tls),
// or every host a wildcard covers, and flipping it for one failing port breaks the others that work.
// The mode comes from every backend behind the port, not only the one whose call failed.
import { type BackendTls, tlsEachBackendAccepts } from '../mesh/backend-tls.js';
import { type MergedDestinationRule, portsWithOwnTls, TOP_LEVEL_TLS } from '../mesh/destination-rules.js';
import { isWildcard } from '../mesh/hosts.js';
import type { ResolvedMesh } from '../mesh/resolve.js';
import {
  createHostDestinationRule,
  type RemediationPlan,
  removeDestinationRuleTls,
  setDestinationRulePortTls,
  setDestinationRuleTls,
} from '../remediation/plans.js';
import type { DestinationRule } from '../snapshot/types.js';
import type { Failure } from './connectivity-failures.js';

/** A tls.mode every backend accepts, or `auto`: only auto mTLS's choice per endpoint suits them all. */
export type WantedTls = 'ISTIO_MUTUAL' | 'DISABLE' | 'auto';

export interface ConflictRemedy {
  readonly plans: RemediationPlan[];
  /** What to do, in words (also when no plan can be offered). */
  readonly fix: string;
}

// One button per failing host, a few at most; the fix text names them all.
const MAX_HOST_RULES = 3;

/**
 * The fix for one group of failures caused by one field (`path`) of one rule. `preferred` is the mode
 * the failing backend needs, taken when every other backend accepts it too.
 */
export function conflictRemedy(
  mesh: ResolvedMesh,
  group: readonly Failure[],
  merged: MergedDestinationRule,
  rule: DestinationRule,
  path: string,
  preferred: 'ISTIO_MUTUAL' | 'DISABLE',
): ConflictRemedy {
  if (isWildcard(merged.host)) return wildcardRemedy(mesh, group, merged, rule, path, preferred);
  const wanted = wantedTls(mesh, group, merged, path, preferred);
  if (!wanted.mode) return { plans: [], fix: noSingleMode(wanted.backends, path) };
  const failingPorts = portsOf(group);
  const otherPorts = path === TOP_LEVEL_TLS ? otherPortsUsing(group, merged, failingPorts) : [];
  if (wanted.mode === 'auto') {
    // Without tls in a port entry, endpoints are still marked from a top-level tls (mtls_checker.go):
    // removing a block lets auto mTLS decide only if no other tls steers it.
    const removable = (path === TOP_LEVEL_TLS && otherPorts.length === 0) || isTopPortEntry(path, merged);
    return removable
      ? {
          plans: [removeDestinationRuleTls(rule, path)],
          fix: `${differ(wanted.backends)}: no single tls.mode serves them all. Remove ${path} so auto mTLS chooses per endpoint (Istio mTLS to the pods with a sidecar, plaintext to the others), or give every backend a sidecar.`,
        }
      : {
          plans: [],
          fix: `${differ(wanted.backends)}: no single tls.mode serves them all, and ${path} also serves other ports or is overridden by the rule's top-level tls, so auto mTLS cannot take over here. Give every backend a sidecar, or route them as subsets with a tls.mode each.`,
        };
  }
  if (otherPorts.length > 0) {
    const listed = failingPorts.join(', ');
    return {
      plans: [setDestinationRulePortTls(rule, failingPorts, wanted.mode)],
      fix: `${path}.mode also serves port${otherPorts.length > 1 ? 's' : ''} ${otherPorts.join(', ')} of ${merged.host}, which work: set tls.mode ${wanted.mode} for port${failingPorts.length > 1 ? 's' : ''} ${listed} only, in spec.trafficPolicy.portLevelSettings.`,
    };
  }
  return {
    plans: [setDestinationRuleTls(rule, path, wanted.mode)],
    fix:
      wanted.mode === 'ISTIO_MUTUAL'
        ? `Set ${path}.mode to ISTIO_MUTUAL (or remove the tls block and let auto mTLS decide).`
        : `Set ${path}.mode to DISABLE for this host, or give the server a sidecar (or a non-DISABLE policy).`,
  };
}

/**
 * A wildcard rule serves hosts that work too: a rule for each failing host only, in the wildcard's
 * namespace (the most specific host wins there), unless the wildcard has subsets, which a rule for one
 * host would drop for it.
 */
function wildcardRemedy(
  mesh: ResolvedMesh,
  group: readonly Failure[],
  merged: MergedDestinationRule,
  rule: DestinationRule,
  path: string,
  preferred: 'ISTIO_MUTUAL' | 'DISABLE',
): ConflictRemedy {
  const hosts = [...new Set(group.map((f) => f.target.host))].sort();
  const where = `DestinationRule ${rule.meta.namespace}/${rule.meta.name} covers every host matching ${rule.host}: changing its ${path}.mode would change calls to all of them.`;
  const target = `, with tls.mode ${preferred}${preferred === 'ISTIO_MUTUAL' ? '' : ', or give the server a sidecar (or a non-DISABLE policy)'}`;
  if (rule.subsets.length > 0)
    return {
      plans: [],
      fix: `${where} A rule for ${listed(hosts, ' host(s)')} alone would drop its subsets for those hosts: add one in ${rule.meta.namespace} that repeats the subsets${target}.`,
    };
  const plans: RemediationPlan[] = [];
  for (const host of hosts.slice(0, MAX_HOST_RULES)) {
    const failures = group.filter((f) => f.target.host === host);
    const wanted = wantedTls(mesh, failures, merged, path, preferred).mode;
    // A rule for one host sets a tls.mode: backends that need different ones get no button.
    if (!wanted || wanted === 'auto') continue;
    // Only the failing ports change when the host has others that work.
    const failing = portsOf(failures);
    const all = failures[0]?.target.ports.map((p) => p.port) ?? [];
    const partial = all.some((p) => !failing.includes(p));
    plans.push(createHostDestinationRule(rule, host, wanted, partial ? failing : undefined));
  }
  return {
    plans,
    fix: `${where} Add a rule for ${listed(hosts, ' host(s)')} only, in ${rule.meta.namespace}${target}.`,
  };
}

interface Wanted {
  readonly mode?: WantedTls;
  readonly backends: readonly BackendTls[];
}

/** The TLS that suits every backend of the failing ports (those the rule's field reaches). */
function wantedTls(
  mesh: ResolvedMesh,
  failures: readonly Failure[],
  rule: MergedDestinationRule,
  path: string,
  preferred: 'ISTIO_MUTUAL' | 'DISABLE',
): Wanted {
  const subset = /^spec\.subsets\[(\d+)\]/.exec(path);
  const subsetLabels = subset ? rule.subsets[Number(subset[1])]?.labels : undefined;
  const backends: BackendTls[] = [];
  const seen = new Set<string>();
  for (const f of failures) {
    const key = `${f.target.ref.kind}/${f.target.namespace}/${f.target.ref.name}/${f.target.host}:${f.port.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    backends.push(...tlsEachBackendAccepts(mesh, f.target, f.port, { rule, subsetLabels }));
  }
  const other = preferred === 'ISTIO_MUTUAL' ? 'DISABLE' : 'ISTIO_MUTUAL';
  for (const mode of [preferred, other] as const)
    if (backends.every((b) => (mode === 'ISTIO_MUTUAL' ? b.istioMutual : b.disable)))
      return { mode, backends };
  if (backends.every((b) => b.auto)) return { mode: 'auto', backends };
  return { backends };
}

const portsOf = (failures: readonly Failure[]) =>
  [...new Set(failures.map((f) => f.port.port))].sort((a, b) => a - b);

/**
 * The ports of the failing hosts that also take the rule's top-level tls (no port entry with tls of
 * their own) and are not failing: what flipping the top-level tls would change besides the fix.
 */
function otherPortsUsing(
  group: readonly Failure[],
  rule: MergedDestinationRule,
  failing: readonly number[],
): number[] {
  const ownTls = portsWithOwnTls(rule);
  const ports = new Set<number>();
  for (const f of group)
    for (const p of f.target.ports) if (!ownTls.has(p.port) && !failing.includes(p.port)) ports.add(p.port);
  return [...ports].sort((a, b) => a - b);
}

/** A top-level port entry of a rule whose top level sets no tls (nothing else steers the endpoints). */
function isTopPortEntry(path: string, rule: MergedDestinationRule): boolean {
  return /^spec\.trafficPolicy\.portLevelSettings\[\d+\]\.tls$/.test(path) && !rule.trafficPolicy?.tls;
}

const name = (b: BackendTls) => `${b.workload.meta.namespace}/${b.workload.meta.name}`;

function differ(backends: readonly BackendTls[]): string {
  const mtls = [...new Set(backends.filter((b) => !b.disable).map(name))];
  const plain = [...new Set(backends.filter((b) => !b.istioMutual).map(name))];
  return `The backends need different TLS: ${listed(mtls)} ${mtls.length > 1 ? 'need' : 'needs'} Istio mTLS, ${listed(plain)} ${plain.length > 1 ? 'accept' : 'accepts'} only plaintext`;
}

function noSingleMode(backends: readonly BackendTls[], path: string): string {
  return `${differ(backends)}: no single tls.mode serves them all, and auto mTLS cannot choose per endpoint for this service (off, headless, PASSTHROUGH, or a namespace-wide DISABLE). Give every backend a sidecar, or route them as subsets with a tls.mode each instead of ${path}.`;
}

/** A few names, and how many more (`more` names what they are: "host(s)"). */
const listed = (items: readonly string[], more = '') =>
  items.length <= MAX_HOST_RULES
    ? items.join(', ')
    : `${items.slice(0, MAX_HOST_RULES).join(', ')} and ${items.length - MAX_HOST_RULES} more${more}`;
