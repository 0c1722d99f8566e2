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
  private readonly local = new Map<string, HostTable>();
  private readonly exported = new Map<string, HostTable>();
  private readonly selectorRules = new Map<string, HostTable>();
  /** Namespaces with a local rule for a given exact host, and namespaces with any wildcard rule. */
  private readonly namespacesByExactHost = new Map<string, Set<string>>();
  /** Wildcard pattern (`*.ns.svc.cluster.local`, `*`) → namespaces that hold a rule for it. */
  private readonly namespacesByWildcard = new Map<string, Set<string>>();
  readonly merged: MergedDestinationRule[];

  constructor(
    rules: readonly DestinationRule[],
    readonly rootNamespace: string,
    defaultExportTo: readonly string[] = ['*'],
  ) {
    this.merged = mergeRules(rules, defaultExportTo);
    for (const rule of this.merged) {
      const ns = rule.namespace;
      if (rule.workloadSelector) {
        addToTable(this.selectorRules, ns, rule);
      } else {
        if (rule.exportTo.has('*') || rule.exportTo.has('.') || rule.exportTo.has(ns))
          addToTable(this.local, ns, rule);
        if (!isPrivate(rule)) addToTable(this.exported, ns, rule);
      }
      const index = isWildcard(rule.host) ? this.namespacesByWildcard : this.namespacesByExactHost;
      const set = index.get(rule.host) ?? new Set();
      set.add(ns);
      index.set(rule.host, set);
    }
    for (const table of [...this.local.values(), ...this.exported.values(), ...this.selectorRules.values()]) {
      table.wildcards.sort((a, b) => compareSpecificity(a.host, b.host));
    }
  }

  /**
   * Namespaces whose own rules could apply to this host for their clients (step 1 of the lookup).
   * Clients elsewhere all see the same rule, so callers evaluate them once.
   */
  namespacesWithLocalRulesFor(host: string): Set<string> {
    const found = new Set(this.namespacesByExactHost.get(host));
    // Only the wildcards that cover this host: `*` and `*.<suffix>` for each suffix of the host.
    for (const pattern of wildcardsCovering(host)) {
      for (const ns of this.namespacesByWildcard.get(pattern) ?? []) found.add(ns);
    }
    return found;
  }

  /** Whether the service-namespace or root-namespace rule for this host is exported to only some namespaces. */
  hasRestrictedExport(host: string, serviceNamespace: string): boolean {
    for (const ns of [serviceNamespace, this.rootNamespace]) {
      const rule = findInTable(this.exported.get(ns), host, () => true);
      if (rule && !rule.exportTo.has('*')) return true;
    }
    return false;
  }

  lookup(
    clientNamespace: string,
    clientLabels: Labels | undefined,
    host: string,
    serviceNamespace: string,
  ): DestinationRuleMatch | undefined {
    const bySelector = findInTable(this.selectorRules.get(clientNamespace), host, (rule) =>
      clientLabels ? selectorMatches(rule.workloadSelector, clientLabels) : false,
    );
    if (bySelector) return { rule: bySelector, step: 'client-namespace' };
    const local = findInTable(this.local.get(clientNamespace), host, () => true);
    if (local) return { rule: local, step: 'client-namespace' };
    const visible = (rule: MergedDestinationRule) =>
      rule.exportTo.has('*') || rule.exportTo.has(clientNamespace);
    if (serviceNamespace !== clientNamespace) {
      const fromService = findInTable(this.exported.get(serviceNamespace), host, visible);
      if (fromService) return { rule: fromService, step: 'service-namespace' };
    }
    if (this.rootNamespace !== clientNamespace) {
      const fromRoot = findInTable(this.exported.get(this.rootNamespace), host, visible);
      if (fromRoot) return { rule: fromRoot, step: 'root-namespace' };
    }
    return undefined;
  }
}

function isPrivate(rule: MergedDestinationRule): boolean {
  if (rule.exportTo.has('*')) return false;
  for (const target of rule.exportTo) {
    if (target !== '.' && target !== rule.namespace && target !== '~') return false;
  }
  return true;
}

function addToTable(tables: Map<string, HostTable>, namespace: string, rule: MergedDestinationRule): void {
  let table = tables.get(namespace);
  if (!table) {
    table = emptyTable();
    tables.set(namespace, table);
  }
  if (isWildcard(rule.host)) table.wildcards.push(rule);
  else {
    const list = table.exact.get(rule.host) ?? [];
    list.push(rule);
    table.exact.set(rule.host, list);
  }
}

function findInTable(
  table: HostTable | undefined,
  host: string,
  accept: (rule: MergedDestinationRule) => boolean,
): MergedDestinationRule | undefined {
  if (!table) return undefined;
  const exact = table.exact.get(host)?.find(accept);
  if (exact) return exact;
  return table.wildcards.find((rule) => hostCovers(rule.host, host) && accept(rule));
}

function mergeRules(
  rules: readonly DestinationRule[],
  defaultExportTo: readonly string[],
): MergedDestinationRule[] {
  // Selector rules first, then oldest first (sortConfigBySelectorAndCreationTime).
  const sorted = [...rules].sort((a, b) => {
    if (!!a.workloadSelector !== !!b.workloadSelector) return a.workloadSelector ? -1 : 1;
    return compareByAge(a, b);
  });
  const groups = new Map<string, DestinationRule[]>();
  const order: string[] = [];
  for (const rule of sorted) {
    const host = resolveShortname(rule.host, rule.meta.namespace);
    const exportTo = rule.workloadSelector
      ? ['.']
      : rule.exportTo.length > 0
        ? rule.exportTo
        : defaultExportTo;
    const key = JSON.stringify([
      rule.meta.namespace,
      host,
      rule.workloadSelector ?? null,
      [...exportTo].sort(),
    ]);
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
    const exportTo = first.workloadSelector
      ? ['.']
      : first.exportTo.length > 0
        ? first.exportTo
        : defaultExportTo;
    return {
      host: resolveShortname(first.host, first.meta.namespace),
      namespace: first.meta.namespace,
      exportTo: new Set(exportTo),
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
  const policy = rule.trafficPolicy;
  const portIndex = policy?.portLevelSettings.findIndex((p) => p.port === servicePort) ?? -1;
  let tls = portIndex >= 0 ? policy?.portLevelSettings[portIndex]?.tls : policy?.tls;
  let path =
    portIndex >= 0 ? `spec.trafficPolicy.portLevelSettings[${portIndex}].tls` : 'spec.trafficPolicy.tls';
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
