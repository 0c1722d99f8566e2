// The fix for a DestinationRule whose TLS breaks calls, changing only what the failing (host, port)
// calls use: a field of the rule serves every port without an entry of its own (the top-level tls),
// or every host a wildcard covers, and flipping it for one failing port breaks the others that work.
import type { MergedDestinationRule } from '../mesh/destination-rules.js';
import { isWildcard } from '../mesh/hosts.js';
import {
  createHostDestinationRule,
  type RemediationPlan,
  setDestinationRulePortTls,
  setDestinationRuleTls,
} from '../remediation/plans.js';
import type { DestinationRule } from '../snapshot/types.js';
import type { Failure } from './connectivity-failures.js';

export interface ConflictRemedy {
  readonly plans: RemediationPlan[];
  /** What to do, in words (also when no plan can be offered). */
  readonly fix: string;
}

const TOP_LEVEL = 'spec.trafficPolicy.tls';

// One button per failing host, a few at most; the fix text names them all.
const MAX_HOST_RULES = 3;

/** The fix for one group of failures caused by one field (`path`) of one rule, to `mode`. */
export function conflictRemedy(
  group: readonly Failure[],
  merged: MergedDestinationRule,
  rule: DestinationRule,
  path: string,
  mode: 'ISTIO_MUTUAL' | 'DISABLE',
): ConflictRemedy {
  if (isWildcard(merged.host)) return wildcardRemedy(group, rule, path, mode);
  const failingPorts = portsOf(group);
  const otherPorts = path === TOP_LEVEL ? otherPortsUsing(group, merged, failingPorts) : [];
  if (otherPorts.length > 0) {
    const listed = failingPorts.join(', ');
    return {
      plans: [setDestinationRulePortTls(rule, failingPorts, mode)],
      fix: `${path}.mode also serves port${otherPorts.length > 1 ? 's' : ''} ${otherPorts.join(', ')} of ${merged.host}, which work: set tls.mode ${mode} for port${failingPorts.length > 1 ? 's' : ''} ${listed} only, in spec.trafficPolicy.portLevelSettings.`,
    };
  }
  return {
    plans: [setDestinationRuleTls(rule, path, mode)],
    fix:
      mode === 'ISTIO_MUTUAL'
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
  group: readonly Failure[],
  rule: DestinationRule,
  path: string,
  mode: 'ISTIO_MUTUAL' | 'DISABLE',
): ConflictRemedy {
  const hosts = [...new Set(group.map((f) => f.target.host))].sort();
  const where = `DestinationRule ${rule.meta.namespace}/${rule.meta.name} covers every host matching ${rule.host}: changing its ${path}.mode would change calls to all of them.`;
  const target = `, with tls.mode ${mode}${mode === 'ISTIO_MUTUAL' ? '' : ', or give the server a sidecar (or a non-DISABLE policy)'}`;
  if (rule.subsets.length > 0)
    return {
      plans: [],
      fix: `${where} A rule for ${listed(hosts, ' host(s)')} alone would drop its subsets for those hosts: add one in ${rule.meta.namespace} that repeats the subsets${target}.`,
    };
  const plans: RemediationPlan[] = [];
  for (const host of hosts.slice(0, MAX_HOST_RULES)) {
    const failures = group.filter((f) => f.target.host === host);
    // Only the failing ports change when the host has others that work.
    const failing = portsOf(failures);
    const all = failures[0]?.target.ports.map((p) => p.port) ?? [];
    const partial = all.some((p) => !failing.includes(p));
    plans.push(createHostDestinationRule(rule, host, mode, partial ? failing : undefined));
  }
  return {
    plans,
    fix: `${where} Add a rule for ${listed(hosts, ' host(s)')} only, in ${rule.meta.namespace}${target}.`,
  };
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
  const ownTls = new Set(
    (rule.trafficPolicy?.portLevelSettings ?? []).filter((p) => p.tls).map((p) => p.port),
  );
  const ports = new Set<number>();
  for (const f of group)
    for (const p of f.target.ports) if (!ownTls.has(p.port) && !failing.includes(p.port)) ports.add(p.port);
  return [...ports].sort((a, b) => a - b);
}

/** A few names, and how many more (`more` names what they are: "host(s)"). */
const listed = (items: readonly string[], more = '') =>
  items.length <= MAX_HOST_RULES
    ? items.join(', ')
    : `${items.slice(0, MAX_HOST_RULES).join(', ')} and ${items.length - MAX_HOST_RULES} more${more}`;
