// Which DestinationRule a client sidecar uses for a service, and the TLS it resolves to for a port.
// Follows istio/istio: pilot/pkg/model/push_context.go (setDestinationRules, destinationRule),
// pilot/pkg/model/destination_rule.go (mergeDestinationRule), pilot/pkg/model/sidecar.go
// (SidecarScope.DestinationRule: workloadSelector rules first) and pilot/pkg/networking/util/util.go
// (GetPortLevelTrafficPolicy, MergeSubsetTrafficPolicy).
import type { ClientTlsSettings, DestinationRule, Labels, Subset, TrafficPolicy } from '../snapshot/types.js';
import { compareSpecificity, hostCovers, isWildcard, resolveShortname, wildcardsCovering } from './hosts.js';
import { selectorMatches } from './selectors.js';
import { compareByAge } from './server-mode.js';

/** Rules for the identical host in one namespace with equal exportTo, merged as istiod does. */
export interface MergedDestinationRule {
  readonly host: string;
  readonly namespace: string;
  readonly exportTo: ReadonlySet<string>;
  readonly workloadSelector?: Labels;
  /** Contributing rules, oldest first; the first with a trafficPolicy supplies it. */
  readonly rules: readonly DestinationRule[];
  readonly trafficPolicy?: TrafficPolicy;
  readonly trafficPolicyFrom?: DestinationRule;
  readonly subsets: readonly Subset[];
}

export type LookupStep = 'client-namespace' | 'service-namespace' | 'root-namespace';

export interface DestinationRuleMatch {
  readonly rule: MergedDestinationRule;
  readonly step: LookupStep;
}

export interface ResolvedTls {
  /** undefined: the rule sets no TLS for this port, so auto mTLS decides. */
  readonly tls?: ClientTlsSettings;
  /** Field path of the winning `tls` inside the rule (for findings and SARIF). */
  readonly path: string;
  /** SIMPLE/MUTUAL with credentialName on a rule without workloadSelector: sidecars ignore it. */
  readonly credentialIgnored: boolean;
}

interface HostTable {
  readonly exact: Map<string, MergedDestinationRule[]>;
  readonly wildcards: MergedDestinationRule[];
}

function emptyTable(): HostTable {
  return { exact: new Map(), wildcards: [] };
}

export class DestinationRuleIndex {
  /** Rules a proxy in the namespace sees first (selector rules too). */
  private readonly local = new Map<string, HostTable>();
  /** Rules the namespace exports to (some) other namespaces. */
  private readonly exported = new Map<string, HostTable>();
  /** The root namespace's private rules: the only ones its own proxies see before the service's. */
  private readonly rootPrivate: HostTable = emptyTable();
  /** Namespaces with a local rule for a given exact host, and by wildcard pattern. */
  private readonly namespacesByExactHost = new Map<string, Set<string>>();
  /** Wildcard pattern (`*.ns.svc.cluster.local`, `*`) → namespaces that hold a rule for it. */
  private readonly namespacesByWildcard = new Map<string, Set<string>>();
  readonly merged: MergedDestinationRule[];

  constructor(
    rules: readonly DestinationRule[],
    readonly rootNamespace: string,
    private readonly defaultExportTo: readonly string[] = ['*'],
  ) {
    this.merged = mergeRules(rules);
    for (const rule of this.merged) {
      const ns = rule.namespace;
      if (this.isLocal(rule)) {
        addToTable(this.local, ns, rule);
        if (ns === rootNamespace && this.isPrivate(rule)) addRule(this.rootPrivate, rule);
      }
      if (!rule.workloadSelector && !this.isPrivate(rule)) addToTable(this.exported, ns, rule);
      const index = isWildcard(rule.host) ? this.namespacesByWildcard : this.namespacesByExactHost;
      const set = index.get(rule.host) ?? new Set();
      set.add(ns);
      index.set(rule.host, set);
    }
    for (const table of [...this.local.values(), ...this.exported.values(), this.rootPrivate]) {
      table.wildcards.sort((a, b) => compareSpecificity(a.host, b.host));
    }
  }

  // exportTo as istiod reads it (push_context.go setDestinationRules): an empty list is visible to the
  // own namespace, and to all others unless meshConfig.defaultDestinationRuleExportTo says "." (only
  // "." and "*" are honoured there); selector rules are always private.
  private isLocal(rule: MergedDestinationRule): boolean {
    const e = rule.exportTo;
    return e.size === 0 || e.has('*') || e.has('.') || e.has(rule.namespace);
  }

  private isPrivate(rule: MergedDestinationRule): boolean {
    if (rule.workloadSelector) return true;
    if (rule.exportTo.size === 0)
      return this.defaultExportTo.includes('.') && !this.defaultExportTo.includes('*');
    for (const target of rule.exportTo) {
      if (target === '*') return false;
      if (target !== '.' && target !== rule.namespace && target !== '~') return false;
    }
    return true;
  }

  private visibleTo(rule: MergedDestinationRule, clientNamespace: string): boolean {
    return rule.exportTo.size === 0 || rule.exportTo.has('*') || rule.exportTo.has(clientNamespace);
  }

  /**
   * Namespaces whose own rules could apply to this host for their clients (step 1 of the lookup): those
   * with a rule for the exact host (undefined when none), and those with a wildcard covering it.
   * Clients elsewhere all see the same rule, so callers evaluate them once.
   */
  namespacesWithExactRulesFor(host: string): ReadonlySet<string> | undefined {
    return this.namespacesByExactHost.get(host);
  }

  namespacesWithWildcardRulesFor(host: string): readonly string[] {
    return this.namespacesByWildcardsCovering(host);
  }

  // The wildcards covering a host are `*` and `*<suffix>` for each suffix from a dot on: they depend on
  // the host's part from its first dot only, which thousands of services of one namespace share.
  private readonly wildcardNamespacesBySuffix = new Map<string, readonly string[]>();

  private namespacesByWildcardsCovering(host: string): readonly string[] {
    if (this.namespacesByWildcard.size === 0) return NO_NAMESPACES;
    const dot = host.indexOf('.');
    const suffix = dot >= 0 ? host.slice(dot) : '';
    let namespaces = this.wildcardNamespacesBySuffix.get(suffix);
    if (!namespaces) {
      const found = new Set<string>();
      for (const pattern of wildcardsCovering(host)) {
        for (const ns of this.namespacesByWildcard.get(pattern) ?? []) found.add(ns);
      }
      namespaces = [...found];
      this.wildcardNamespacesBySuffix.set(suffix, namespaces);
    }
    return namespaces;
  }

  /** Whether the service-namespace or root-namespace rule for this host is exported to only some namespaces. */
  hasRestrictedExport(host: string, serviceNamespace: string): boolean {
    return (
      restrictsExport(mostSpecific(this.exported.get(serviceNamespace), host)) ||
      restrictsExport(mostSpecific(this.exported.get(this.rootNamespace), host))
    );
  }

  /**
   * The rule a client proxy uses for a host: its own namespace first (for a proxy in the root namespace,
   * only the root's private rules), then the service's namespace, then the root namespace. In each,
   * the most specific host wins first and only then are selectors and exportTo applied
   * (push_context.go destinationRule, sidecar.go SidecarScope.DestinationRule).
   */
  lookup(
    clientNamespace: string,
    clientLabels: Labels | undefined,
    host: string,
    serviceNamespace: string,
  ): DestinationRuleMatch | undefined {
    const own = clientNamespace === this.rootNamespace ? this.rootPrivate : this.local.get(clientNamespace);
    const candidates = mostSpecific(own, host);
    if (candidates.length > 0) {
      const bySelector = candidates.find(
        (r) => r.workloadSelector && clientLabels && selectorMatches(r.workloadSelector, clientLabels),
      );
      const rule = bySelector ?? candidates.findLast((r) => !r.workloadSelector);
      // Only selector rules for other workloads: this proxy gets no rule at all for the host.
      return rule ? this.matchOf(rule, 'client-namespace') : undefined;
    }
    if (serviceNamespace !== clientNamespace) {
      const rule = this.exportedRule(serviceNamespace, host, clientNamespace);
      if (rule) return this.matchOf(rule, 'service-namespace');
    }
    const rule = this.exportedRule(this.rootNamespace, host, clientNamespace);
    return rule ? this.matchOf(rule, 'root-namespace') : undefined;
  }

  // One (immutable) match object per rule and step, made with the index, not one per lookup: every
  // evaluated pair keeps its match.
  private readonly matches = new Map<MergedDestinationRule, StepMatches>();

  private matchOf(rule: MergedDestinationRule, step: LookupStep): DestinationRuleMatch {
    let byStep = this.matches.get(rule);
    if (!byStep) {
      byStep = {
        'client-namespace': { rule, step: 'client-namespace' },
        'service-namespace': { rule, step: 'service-namespace' },
        'root-namespace': { rule, step: 'root-namespace' },
      };
      this.matches.set(rule, byStep);
    }
    return byStep[step];
  }

  private exportedRule(
    namespace: string,
    host: string,
    clientNamespace: string,
  ): MergedDestinationRule | undefined {
    return mostSpecific(this.exported.get(namespace), host).findLast((r) =>
      this.visibleTo(r, clientNamespace),
    );
  }
}

function restrictsExport(rules: readonly MergedDestinationRule[]): boolean {
  return rules.some((rule) => rule.exportTo.size > 0 && !rule.exportTo.has('*'));
}

type StepMatches = Readonly<Record<LookupStep, DestinationRuleMatch>>;

function addToTable(tables: Map<string, HostTable>, namespace: string, rule: MergedDestinationRule): void {
  let table = tables.get(namespace);
  if (!table) {
    table = emptyTable();
    tables.set(namespace, table);
  }
  addRule(table, rule);
}

function addRule(table: HostTable, rule: MergedDestinationRule): void {
  if (isWildcard(rule.host)) table.wildcards.push(rule);
  else {
    const list = table.exact.get(rule.host) ?? [];
    list.push(rule);
    table.exact.set(rule.host, list);
  }
}

/** The entries for the most specific host pattern that covers `host` (exact, else the best wildcard). */
function mostSpecific(table: HostTable | undefined, host: string): readonly MergedDestinationRule[] {
  if (!table) return NO_RULES;
  const exact = table.exact.get(host);
  if (exact?.length) return exact;
  // Sorted by specificity, so the rules for the best pattern stand next to each other.
  const wildcards = table.wildcards;
  const first = wildcards.findIndex((rule) => hostCovers(rule.host, host));
  if (first < 0) return NO_RULES;
  const pattern = (wildcards[first] as MergedDestinationRule).host;
  let end = first + 1;
  while (end < wildcards.length && (wildcards[end] as MergedDestinationRule).host === pattern) end++;
  return wildcards.slice(first, end);
}

const NO_RULES: readonly MergedDestinationRule[] = Object.freeze([]);
const NO_NAMESPACES: readonly string[] = Object.freeze([]);

/** Where a rule's top-level tls is: the path findings and plans name for it. */
export const TOP_LEVEL_TLS = 'spec.trafficPolicy.tls';

/** The ports a rule gives a tls of their own: its top-level tls does not reach them. */
export function portsWithOwnTls(rule: Pick<MergedDestinationRule, 'trafficPolicy'>): Set<number> {
  return new Set((rule.trafficPolicy?.portLevelSettings ?? []).filter((p) => p.tls).map((p) => p.port));
}

function mergeRules(rules: readonly DestinationRule[]): MergedDestinationRule[] {
  // Selector rules first, then oldest first (sortConfigBySelectorAndCreationTime).
  const sorted = [...rules].sort((a, b) => {
    if (!!a.workloadSelector !== !!b.workloadSelector) return a.workloadSelector ? -1 : 1;
    return compareByAge(a, b);
  });
  const groups = new Map<string, DestinationRule[]>();
  const order: string[] = [];
  for (const rule of sorted) {
    const host = resolveShortname(rule.host, rule.meta.namespace);
    const exportTo = rule.workloadSelector ? ['.'] : rule.exportTo;
    // Rules merge only with equal exportTo (ENABLE_ENHANCED_DESTINATIONRULE_MERGE); an empty list is its own.
    // Names and hosts hold no NUL; the selector, rare, is spelled out by JSON; the count of exportTo
    // entries tells an empty list from one empty name.
    const selector = rule.workloadSelector ? JSON.stringify(rule.workloadSelector) : '';
    const targets = [...exportTo].sort();
    const key = `${rule.meta.namespace}\0${host}\0${selector}\0${targets.length}\0${targets.join('\0')}`;
    let group = groups.get(key);
    if (!group) {
      group = [];
      groups.set(key, group);
      order.push(key);
    }
    group.push(rule);
  }
  return order.map((key) => {
    const group = groups.get(key) ?? [];
    const first = group[0] as DestinationRule;
    const policySource = group.find((r) => r.trafficPolicy);
    const subsets: Subset[] = [];
    const seen = new Set<string>();
    for (const rule of group) {
      for (const subset of rule.subsets) {
        if (seen.has(subset.name)) continue;
        seen.add(subset.name);
        subsets.push(subset);
      }
    }
    return {
      host: resolveShortname(first.host, first.meta.namespace),
      namespace: first.meta.namespace,
      exportTo: new Set(first.workloadSelector ? ['.'] : first.exportTo),
      workloadSelector: first.workloadSelector,
      rules: group,
      trafficPolicy: policySource?.trafficPolicy,
      trafficPolicyFrom: policySource,
      subsets,
    };
  });
}

/**
 * The TLS a rule sets for one Service port (and optionally a subset). Port-level settings replace the
 * top-level policy wholesale, so a port entry without `tls` leaves TLS unset (auto mTLS decides).
 */
export function resolveTls(
  rule: MergedDestinationRule,
  servicePort: number,
  subsetName?: string,
): ResolvedTls {
  if (subsetName !== undefined) return computeResolvedTls(rule, servicePort, subsetName);
  // The service's cluster: one (immutable) answer per rule and port, shared by every pair that keeps it.
  let byPort = resolvedByRule.get(rule);
  if (!byPort) {
    byPort = new Map();
    resolvedByRule.set(rule, byPort);
  }
  let resolved = byPort.get(servicePort);
  if (!resolved) {
    resolved = computeResolvedTls(rule, servicePort, undefined);
    byPort.set(servicePort, resolved);
  }
  return resolved;
}

const resolvedByRule = new WeakMap<MergedDestinationRule, Map<number, ResolvedTls>>();

function computeResolvedTls(
  rule: MergedDestinationRule,
  servicePort: number,
  subsetName: string | undefined,
): ResolvedTls {
  const policy = rule.trafficPolicy;
  const portIndex = policy?.portLevelSettings.findIndex((p) => p.port === servicePort) ?? -1;
  let tls = portIndex >= 0 ? policy?.portLevelSettings[portIndex]?.tls : policy?.tls;
  let path = portIndex >= 0 ? `spec.trafficPolicy.portLevelSettings[${portIndex}].tls` : TOP_LEVEL_TLS;
  if (subsetName !== undefined) {
    const subsetIndex = rule.subsets.findIndex((s) => s.name === subsetName);
    const subsetPolicy = rule.subsets[subsetIndex]?.trafficPolicy;
    const subsetPortIndex = subsetPolicy?.portLevelSettings.findIndex((p) => p.port === servicePort) ?? -1;
    if (subsetPortIndex >= 0) {
      tls = subsetPolicy?.portLevelSettings[subsetPortIndex]?.tls;
      path = `spec.subsets[${subsetIndex}].trafficPolicy.portLevelSettings[${subsetPortIndex}].tls`;
    } else if (subsetPolicy?.tls) {
      tls = subsetPolicy.tls;
      path = `spec.subsets[${subsetIndex}].trafficPolicy.tls`;
    }
  }
  const credentialIgnored =
    !!tls?.credentialName &&
    !tls.credentialName.startsWith('configmap://') &&
    (tls.mode === 'SIMPLE' || tls.mode === 'MUTUAL') &&
    !rule.workloadSelector;
  return { tls, path, credentialIgnored };
}
