// ResolvedMesh: the snapshot plus the indexes that answer Istio's questions (which policy, which rule,
// which backends) and a memoised pair evaluation. Analyzers read this; none re-implements resolution.
import { isIstioAgent } from '../snapshot/proxy-status.js';
import type { MeshSnapshot, Workload } from '../snapshot/types.js';
import { AuthorizationIndex, type PeerIdentity } from './authorization.js';
import {
  type ClientProfile,
  ConnectivityEvaluator,
  clientProfile,
  hasOwnOutboundCapture,
  type PairOutcome,
} from './connectivity.js';
import { DestinationRuleIndex } from './destination-rules.js';
import { pushTo } from './multi-map.js';
import { VirtualServiceIndex } from './routes.js';
import { PeerAuthenticationIndex } from './server-mode.js';
import { type ServiceTarget, serviceTargets, type TargetPort, WorkloadIndex } from './targets.js';
import { ServiceVisibility } from './visibility.js';

const SHARED_SIDECAR: ClientProfile = { namespace: '', proxy: 'sidecar' };
const NO_PROXY: ClientProfile = { namespace: '', proxy: 'none' };
const AMBIENT: ClientProfile = { namespace: '', proxy: 'ambient' };
/** The sidecar clients whose namespace has no rule of its own for a target (most of them). */
const SHARED_SIDECAR_CLASS: ClientClass = { key: 'sidecar', profile: SHARED_SIDECAR };
const NO_PROXY_CLASS: ClientClass = { key: 'none', profile: NO_PROXY };
/** Every ambient client behaves alike towards a target (ztunnel ignores rules and per-pod config). */
export const AMBIENT_CLASS: ClientClass = { key: 'ambient', profile: AMBIENT };

export interface ClientClass {
  /** Stable key: clients with the same key behave the same towards this target. */
  readonly key: string;
  readonly profile: ClientProfile;
}

/** Clients that behave alike towards one target; evaluated once, reported with their members. */
export interface ClientGroup {
  readonly key: string;
  readonly profile: ClientProfile;
  readonly count: number;
  /** No such workload is in the input: a stand-in client, to judge the policies alone. */
  readonly hypothetical: boolean;
  /** Up to `limit` members, skipping those `skip` rejects; cheap even for the largest group. */
  sample(limit: number, skip?: (w: Workload) => boolean): Workload[];
  /** Namespaces of the members (cheap: no walk over every member of a large group). */
  namespaces(): readonly string[];
  /** How many members each namespace holds (cheap, as `namespaces`). */
  namespaceCounts(): Iterable<readonly [string, number]>;
}

function takeSample(
  lists: readonly (readonly Workload[])[],
  limit: number,
  skip?: (w: Workload) => boolean,
): Workload[] {
  const out: Workload[] = [];
  for (const list of lists) {
    for (const w of list) {
      if (out.length >= limit) return out;
      if (!skip?.(w)) out.push(w);
    }
  }
  return out;
}

/** A group with a fixed member list: one prototype, no closures per group (built per target). */
class FixedGroup implements ClientGroup {
  readonly hypothetical = false;
  private memberNamespaces?: readonly string[];

  constructor(
    readonly key: string,
    readonly profile: ClientProfile,
    private readonly members: readonly Workload[],
    namespaces?: readonly string[],
  ) {
    this.memberNamespaces = namespaces;
  }

  get count(): number {
    return this.members.length;
  }

  sample(limit: number, skip?: (w: Workload) => boolean): Workload[] {
    return takeSample([this.members], limit, skip);
  }

  namespaces(): readonly string[] {
    this.memberNamespaces ??= [...new Set(this.members.map((w) => w.meta.namespace))];
    return this.memberNamespaces;
  }

  private counts?: Map<string, number>;
  namespaceCounts(): Iterable<readonly [string, number]> {
    if (!this.counts) {
      this.counts = new Map();
      for (const w of this.members)
        this.counts.set(w.meta.namespace, (this.counts.get(w.meta.namespace) ?? 0) + 1);
    }
    return this.counts;
  }
}

/** Sidecar clients of every namespace but the target's specific ones (they all see the same rules). */
class SharedSidecarGroup implements ClientGroup {
  readonly key = 'sidecar';
  readonly profile = SHARED_SIDECAR;
  readonly hypothetical = false;

  constructor(
    readonly count: number,
    private readonly byNamespace: ReadonlyMap<string, readonly Workload[]>,
    private readonly skip: ReadonlySet<string>,
  ) {}

  sample(limit: number, skipWorkload?: (w: Workload) => boolean): Workload[] {
    // Walks the namespaces in place: this is asked per failure, with hundreds of namespaces.
    const out: Workload[] = [];
    for (const [ns, list] of this.byNamespace) {
      if (this.skip.has(ns)) continue;
      for (const w of list) {
        if (out.length >= limit) return out;
        if (!skipWorkload?.(w)) out.push(w);
      }
    }
    return out;
  }

  namespaces(): readonly string[] {
    return [...this.byNamespace.keys()].filter((ns) => !this.skip.has(ns));
  }

  *namespaceCounts(): Iterable<readonly [string, number]> {
    for (const [ns, list] of this.byNamespace) if (!this.skip.has(ns)) yield [ns, list.length];
  }
}

/** A stand-in client for policy-only input (no workloads): judges the policies alone. */
class HypotheticalGroup implements ClientGroup {
  readonly count = 0;
  readonly hypothetical = true;

  constructor(
    readonly key: string,
    readonly profile: ClientProfile,
  ) {}

  sample(): Workload[] {
    return [];
  }

  namespaces(): readonly string[] {
    return [];
  }

  namespaceCounts(): Iterable<readonly [string, number]> {
    return [];
  }
}

interface TargetFacts {
  /** Namespaces with a local rule for the target's exact host (undefined: none). */
  readonly exactRuleNamespaces: ReadonlySet<string> | undefined;
  /** Namespaces with a local wildcard rule covering the host (one shared list per host suffix). */
  readonly wildcardRuleNamespaces: readonly string[];
  readonly restrictedExport: boolean;
}

function memo<T>(compute: () => T): () => T {
  let value: T | undefined;
  let done = false;
  return () => {
    if (!done) {
      value = compute();
      done = true;
    }
    return value as T;
  };
}

export class ResolvedMesh {
  readonly peerAuthentications: PeerAuthenticationIndex;
  readonly destinationRules: DestinationRuleIndex;
  readonly workloads: WorkloadIndex;
  /** The workloads judged as callers: all but Istio's own agents (isIstioAgent). */
  readonly clients: readonly Workload[];
  readonly targets: readonly ServiceTarget[];
  readonly evaluator: ConnectivityEvaluator;
  readonly visibility: ServiceVisibility;
  readonly routes: VirtualServiceIndex;
  /** The AuthorizationPolicies enforced per workload (authorization.ts). */
  readonly authorization: AuthorizationIndex;
  /**
   * Outcomes by class key, then target: a few large maps rather than one small map per target (ten
   * thousand of them on a large mesh, each kept with its pairs). A target with one port keeps its
   * outcome itself; one with more keeps one slot per port.
   */
  private readonly pairCache = new Map<
    string,
    Map<ServiceTarget, PairOutcome | (PairOutcome | undefined)[]>
  >();
  private readonly namespacesWithSelectorRules: Set<string>;
  private readonly clientsWithoutProxy: Workload[] = [];
  private readonly ambientClients: Workload[] = [];
  private readonly individualSidecarClients: Workload[] = [];
  private readonly sidecarClientsByNamespace = new Map<string, Workload[]>();
  private sharedSidecarClientCount = 0;

  constructor(readonly snapshot: MeshSnapshot) {
    const root = snapshot.meshConfig.rootNamespace;
    this.peerAuthentications = new PeerAuthenticationIndex(snapshot.peerAuthentications, root);
    this.destinationRules = new DestinationRuleIndex(
      snapshot.destinationRules,
      root,
      snapshot.meshConfig.defaultDestinationRuleExportTo,
    );
    this.workloads = new WorkloadIndex(snapshot.workloads);
    this.targets = serviceTargets(snapshot.services, snapshot.serviceEntries, this.workloads);
    this.routes = new VirtualServiceIndex(snapshot.virtualServices ?? []);
    this.visibility = new ServiceVisibility(snapshot.sidecars ?? [], snapshot.meshConfig);
    this.authorization = new AuthorizationIndex(snapshot.authorizationPolicies ?? [], root);
    this.evaluator = new ConnectivityEvaluator(
      this.peerAuthentications,
      this.destinationRules,
      snapshot.meshConfig,
      this.visibility,
      this.routes,
      this.authorization,
    );
    this.namespacesWithSelectorRules = new Set(
      snapshot.destinationRules.filter((r) => r.workloadSelector).map((r) => r.meta.namespace),
    );
    // istiod, the CNI agent and ztunnel call no application service.
    const callers = snapshot.workloads.filter((w) => !isIstioAgent(w, snapshot.meshConfig.rootNamespace));
    this.clients = callers.length === snapshot.workloads.length ? snapshot.workloads : callers;
    for (const w of this.clients) this.addClient(w);
  }

  private addClient(w: Workload): void {
    if (w.proxy === 'none') this.clientsWithoutProxy.push(w);
    else if (w.proxy === 'ambient') this.ambientClients.push(w);
    else if (this.isIndividualClient(w)) this.individualSidecarClients.push(w);
    else {
      const list = this.sidecarClientsByNamespace.get(w.meta.namespace) ?? [];
      list.push(w);
      this.sidecarClientsByNamespace.set(w.meta.namespace, list);
      this.sharedSidecarClientCount++;
    }
  }

  private noProxyNamespaces = memo(() => [...new Set(this.clientsWithoutProxy.map((w) => w.meta.namespace))]);
  private ambientNamespaces = memo(() => [...new Set(this.ambientClients.map((w) => w.meta.namespace))]);

  /** Namespaces that hold sidecar clients. */
  sidecarClientNamespaces(): IterableIterator<string> {
    return this.sidecarClientsByNamespace.keys();
  }

  /** A sidecar client whose behaviour depends on its own labels or annotations. */
  private isIndividualClient(w: Workload): boolean {
    return (
      hasOwnOutboundCapture(w) ||
      !!w.gateway ||
      this.namespacesWithSelectorRules.has(w.meta.namespace) ||
      this.visibility.hasSelectorSidecars(w.meta.namespace)
    );
  }

  /**
   * A client's name in the matrix and in impact: `ns/name`, with its kind when another workload has
   * the same namespace and name (a Deployment and a CronJob `cron`), so their pairs never merge.
   */
  clientName(w: Workload): string {
    const name = `${w.meta.namespace}/${w.meta.name}`;
    return this.sharedClientNames().has(name) ? `${name} (${w.kind})` : name;
  }

  private readonly sharedClientNames = memo(() => {
    const seen = new Set<string>();
    const shared = new Set<string>();
    for (const w of this.snapshot.workloads) {
      const name = `${w.meta.namespace}/${w.meta.name}`;
      if (seen.has(name)) shared.add(name);
      seen.add(name);
    }
    return shared;
  });

  private readonly targetsByBackend = memo(() => {
    const map = new Map<Workload, ServiceTarget[]>();
    for (const target of this.targets) {
      for (const w of target.backends) pushTo(map, w, target);
    }
    return map;
  });

  /** Services and ServiceEntries that route to this workload. */
  targetsOf(workload: Workload): readonly ServiceTarget[] {
    return this.targetsByBackend().get(workload) ?? [];
  }

  get rootNamespace(): string {
    return this.snapshot.meshConfig.rootNamespace;
  }

  /**
   * Groups clients that must behave alike towards a target: all proxy-less clients, all ambient clients,
   * and sidecar clients per namespace only where that namespace has its own rule for the host.
   */
  clientClass(client: Workload, target: ServiceTarget): ClientClass {
    const cls = this.transportClass(client, target);
    return this.tellsIdentitiesApart(target) ? this.identityClass(cls, client) : cls;
  }

  /** The class by what the client sends: its proxy, and the rules its namespace or labels pick. */
  private transportClass(client: Workload, target: ServiceTarget): ClientClass {
    if (client.proxy === 'none') return NO_PROXY_CLASS;
    if (client.proxy === 'ambient') return AMBIENT_CLASS;
    const ns = client.meta.namespace;
    if (this.isIndividualClient(client)) return this.individualGroup(client);
    return this.namespaceIsSpecific(target, ns) ? this.namespaceClass(ns) : SHARED_SIDECAR_CLASS;
  }

  /**
   * Whether a backend's AuthorizationPolicies tell identities apart: then its clients are judged per
   * identity (namespace and service account) as well as per class. Rare; most targets have none.
   */
  private tellsIdentitiesApart(target: ServiceTarget): boolean {
    if (this.authorization.isEmpty) return false;
    let apart = this.identityTargets.get(target);
    if (apart === undefined) {
      apart = target.backends.some((w) => this.authorization.hasIdentitySpecificRules(w));
      this.identityTargets.set(target, apart);
    }
    return apart;
  }
  private readonly identityTargets = new Map<ServiceTarget, boolean>();

  /** A class split by identity: one object per class and identity, its key the pair cache's. */
  private identityClass(cls: ClientClass, client: Workload): ClientClass {
    return this.withIdentity(cls, this.identityOf(client));
  }

  private withIdentity(cls: ClientClass, identity: PeerIdentity): ClientClass {
    // Not starting with "sidecar": connectivity-failures.ts counts those as whole namespaces.
    const key = `identity:${identity.namespace}/${identity.serviceAccount}|${cls.key}`;
    let split = this.identityClasses.get(key);
    if (!split) {
      split = { key, profile: { ...cls.profile, identity } };
      this.identityClasses.set(key, split);
    }
    return split;
  }

  /**
   * The class the clients of `cls` would join with a sidecar of their own (that of sidecar clients with
   * no rules of their own), keeping their identity: what a plan giving them one is judged by.
   */
  asSidecar(cls: ClientClass): ClientClass {
    const { identity } = cls.profile;
    return identity ? this.withIdentity(SHARED_SIDECAR_CLASS, identity) : SHARED_SIDECAR_CLASS;
  }
  private readonly identityClasses = new Map<string, ClientClass>();

  // One object per identity: the evaluator compares them by reference.
  private readonly identities = new Map<string, PeerIdentity>();
  private identityOf(client: Workload): PeerIdentity {
    const { namespace } = client.meta;
    const who = `${namespace}/${client.serviceAccount}`;
    let identity = this.identities.get(who);
    if (!identity) {
      const { trustDomain, trustDomainAliases = [] } = this.snapshot.meshConfig;
      identity = {
        trustDomain,
        trustDomains: [trustDomain, ...trustDomainAliases],
        namespace,
        serviceAccount: client.serviceAccount,
      };
      this.identities.set(who, identity);
    }
    return identity;
  }

  /** The groups of a target split by identity: each member's identity class, members in its group. */
  private splitByIdentity(groups: readonly ClientGroup[]): ClientGroup[] {
    const split: ClientGroup[] = [];
    for (const group of groups) {
      if (group.hypothetical) {
        split.push(group);
        continue;
      }
      const members = new Map<ClientClass, Workload[]>();
      for (const w of group.sample(group.count)) pushTo(members, this.identityClass(group, w), w);
      for (const [cls, list] of members) split.push(new FixedGroup(cls.key, cls.profile, list));
    }
    return split;
  }

  /** Sidecar clients in this namespace may see a different DestinationRule than clients elsewhere. */
  private namespaceIsSpecific(target: ServiceTarget, namespace: string): boolean {
    const specific = this.specificNamespaceSet(target);
    return specific === 'all' || specific.has(namespace);
  }

  // Asked once per client and target by the matrix (hundreds of thousands of pairs for a namespace):
  // one set per target asked about, made on the first question; the pair walk never asks.
  private readonly specificNamespaceSets = new Map<ServiceTarget, ReadonlySet<string> | 'all'>();
  private specificNamespaceSet(target: ServiceTarget): ReadonlySet<string> | 'all' {
    let specific = this.specificNamespaceSets.get(target);
    if (!specific) {
      const facts = this.targetFacts(target);
      specific = facts.restrictedExport ? 'all' : new Set(this.specificNamespaces(target, facts));
      this.specificNamespaceSets.set(target, specific);
    }
    return specific;
  }

  /**
   * The namespaces whose sidecar clients need their own evaluation for this target (usually a few), in
   * this order: the target's, those with a local rule for its host (exact, wildcard, then the root),
   * then those with Sidecars or private routes.
   */
  private specificNamespaces(target: ServiceTarget, facts: TargetFacts): Iterable<string> {
    if (facts.restrictedExport) return this.sidecarClientsByNamespace.keys();
    return new Set([
      target.namespace,
      ...(facts.exactRuleNamespaces ?? []),
      ...facts.wildcardRuleNamespaces,
      this.rootNamespace,
      ...this.sidecarNamespaces(),
    ]);
  }

  // The same for every target: made once, not once per target.
  private readonly sidecarNamespaces = memo(
    () =>
      new Set([...this.visibility.namespacesWithSidecars(), ...this.routes.namespacesWithPrivateRoutes()]),
  );

  private readonly targetFactsCache = new Map<ServiceTarget, TargetFacts>();
  private targetFacts(target: ServiceTarget): TargetFacts {
    let facts = this.targetFactsCache.get(target);
    if (!facts) {
      facts = {
        exactRuleNamespaces: this.destinationRules.namespacesWithExactRulesFor(target.host),
        wildcardRuleNamespaces: this.destinationRules.namespacesWithWildcardRulesFor(target.host),
        // A service exported to some namespaces only, or a root Sidecar ("." is each client's own
        // namespace): every namespace may see it differently.
        restrictedExport:
          this.destinationRules.hasRestrictedExport(target.host, target.namespace) ||
          this.visibility.isRestricted(target) ||
          !!this.visibility.rootSidecar,
      };
      this.targetFactsCache.set(target, facts);
    }
    return facts;
  }

  // Several analyzers walk every target's groups: made once per target, and shared between targets
  // whose specific namespaces are the same (thousands of services, a few hundred distinct lists).
  private readonly groupsByTarget = new Map<ServiceTarget, readonly ClientGroup[]>();
  private readonly groupsBySpecificNamespaces = new Map<string, readonly ClientGroup[]>();
  // Targets with no rule of their own host and no restricted export have the same groups when their
  // namespace and the (shared) list of namespaces with wildcard rules covering them are the same: found
  // by identity, without building the list of specific namespaces again for each of thousands of them.
  private readonly groupsByWildcardNamespaces = new Map<
    readonly string[],
    Map<string, readonly ClientGroup[]>
  >();

  /** Every group of clients towards a target, without visiting each client workload. */
  clientGroups(target: ServiceTarget): readonly ClientGroup[] {
    let groups = this.groupsByTarget.get(target);
    if (!groups) {
      const facts = this.targetFacts(target);
      if (facts.restrictedExport || facts.exactRuleNamespaces) groups = this.groupsBySignature(target, facts);
      else {
        let byNamespace = this.groupsByWildcardNamespaces.get(facts.wildcardRuleNamespaces);
        if (!byNamespace) {
          byNamespace = new Map();
          this.groupsByWildcardNamespaces.set(facts.wildcardRuleNamespaces, byNamespace);
        }
        groups = byNamespace.get(target.namespace);
        if (!groups) {
          groups = this.groupsBySignature(target, facts);
          byNamespace.set(target.namespace, groups);
        }
      }
      if (this.tellsIdentitiesApart(target)) groups = this.splitByIdentity(groups);
      this.groupsByTarget.set(target, groups);
    }
    return groups;
  }

  private groupsBySignature(target: ServiceTarget, facts: TargetFacts): readonly ClientGroup[] {
    const specific: string[] = [];
    for (const ns of this.specificNamespaces(target, facts))
      if (this.sidecarClientsByNamespace.has(ns)) specific.push(ns);
    // Policy-only input judges a stand-in client of the target's own namespace.
    const policyOnly = this.snapshot.workloads.length === 0;
    const signature = policyOnly ? `policy-only:${target.namespace}` : specific.join('\n');
    let groups = this.groupsBySpecificNamespaces.get(signature);
    if (!groups) {
      groups = this.makeClientGroups(target, specific);
      this.groupsBySpecificNamespaces.set(signature, groups);
    }
    return groups;
  }

  /** The groups towards a target whose sidecar clients in `specific` namespaces are judged apart. */
  private makeClientGroups(target: ServiceTarget, specific: readonly string[]): ClientGroup[] {
    const groups: ClientGroup[] = [];
    if (this.clientsWithoutProxy.length > 0) {
      groups.push(new FixedGroup('none', NO_PROXY, this.clientsWithoutProxy, this.noProxyNamespaces()));
    }
    if (this.ambientClients.length > 0)
      groups.push(new FixedGroup('ambient', AMBIENT, this.ambientClients, this.ambientNamespaces()));
    for (const w of this.individualSidecarClients) groups.push(this.individualGroup(w));
    let specificCount = 0;
    for (const ns of specific) {
      const members = this.sidecarClientsByNamespace.get(ns) as Workload[];
      specificCount += members.length;
      const { key, profile } = this.namespaceClass(ns);
      groups.push(new FixedGroup(key, profile, members, [ns]));
    }
    const sharedCount = this.sharedSidecarClientCount - specificCount;
    if (sharedCount > 0) {
      groups.push(new SharedSidecarGroup(sharedCount, this.sidecarClientsByNamespace, new Set(specific)));
    }
    if (this.snapshot.workloads.length === 0) {
      // Policy-only input: judge the policies against stand-in clients with and without a sidecar.
      groups.push(
        new HypotheticalGroup('none', NO_PROXY),
        new HypotheticalGroup(`sidecar:${target.namespace}`, {
          namespace: target.namespace,
          proxy: 'sidecar',
        }),
      );
    }
    return groups;
  }

  // One class object (key and profile) per namespace and per individual client, made once: the key
  // strings are the pair cache's keys.
  private readonly namespaceClasses = new Map<string, ClientClass>();
  private namespaceClass(namespace: string): ClientClass {
    let cls = this.namespaceClasses.get(namespace);
    if (!cls) {
      cls = { key: `sidecar:${namespace}`, profile: { namespace, proxy: 'sidecar' } };
      this.namespaceClasses.set(namespace, cls);
    }
    return cls;
  }

  private readonly individualGroups = new Map<Workload, FixedGroup>();
  private individualGroup(w: Workload): FixedGroup {
    let group = this.individualGroups.get(w);
    if (!group) {
      group = new FixedGroup(
        `workload:${w.meta.namespace}/${w.meta.name}`,
        clientProfile(w),
        [w],
        [w.meta.namespace],
      );
      this.individualGroups.set(w, group);
    }
    return group;
  }

  /** The outcome of `client` calling `target:port`, shared by every client of the same class. */
  outcome(client: Workload, target: ServiceTarget, port: TargetPort): PairOutcome {
    return this.outcomeForClass(this.clientClass(client, target), target, port);
  }

  outcomeForClass(
    cls: { key: string; profile: ClientProfile },
    target: ServiceTarget,
    port: TargetPort,
  ): PairOutcome {
    // Per class, one slot per port of the target (by the first port with that number): no key string
    // is built per lookup. A port the target does not list (from another version of it) gets its own key.
    const slot = portSlot(target, port);
    const key = slot >= 0 ? cls.key : `${cls.key}#${port.port}`;
    let perClass = this.pairCache.get(key);
    if (!perClass) {
      perClass = new Map();
      this.pairCache.set(key, perClass);
    }
    if (slot < 0 || target.ports.length === 1) {
      let result = perClass.get(target) as PairOutcome | undefined;
      if (!result) {
        result = this.evaluator.evaluate(cls.profile, target, port);
        perClass.set(target, result);
      }
      return result;
    }
    let perPort = perClass.get(target) as (PairOutcome | undefined)[] | undefined;
    if (!perPort) {
      perPort = new Array(target.ports.length);
      perClass.set(target, perPort);
    }
    let result = perPort[slot];
    if (!result) {
      result = this.evaluator.evaluate(cls.profile, target, port);
      perPort[slot] = result;
    }
    return result;
  }
}

/** The index of the first port of the target with this port's number; -1 when it has none. */
function portSlot(target: ServiceTarget, port: TargetPort): number {
  const ports = target.ports;
  for (let i = 0; i < ports.length; i++) if ((ports[i] as TargetPort).port === port.port) return i;
  return -1;
}
