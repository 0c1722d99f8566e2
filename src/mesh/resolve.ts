// ResolvedMesh: the snapshot plus the indexes that answer Istio's questions (which policy, which rule,
// which backends) and a memoised pair evaluation. Analyzers read this; none re-implements resolution.
import type { MeshSnapshot, Workload } from '../snapshot/types.js';
import {
  type ClientProfile,
  ConnectivityEvaluator,
  clientProfile,
  outboundExcludedPorts,
  type PairOutcome,
} from './connectivity.js';
import { DestinationRuleIndex } from './destination-rules.js';
import { VirtualServiceIndex } from './routes.js';
import { PeerAuthenticationIndex } from './server-mode.js';
import { type ServiceTarget, serviceTargets, type TargetPort, WorkloadIndex } from './targets.js';
import { ServiceVisibility } from './visibility.js';

const SHARED_SIDECAR: ClientProfile = { namespace: '', proxy: 'sidecar' };
const NO_PROXY: ClientProfile = { namespace: '', proxy: 'none' };
const AMBIENT: ClientProfile = { namespace: '', proxy: 'ambient' };

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
  readonly targets: readonly ServiceTarget[];
  readonly evaluator: ConnectivityEvaluator;
  readonly visibility: ServiceVisibility;
  readonly routes: VirtualServiceIndex;
  private readonly pairCache = new Map<ServiceTarget, Map<string, PairOutcome>>();
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
    this.evaluator = new ConnectivityEvaluator(
      this.peerAuthentications,
      this.destinationRules,
      snapshot.meshConfig,
      this.visibility,
      this.routes,
    );
    this.namespacesWithSelectorRules = new Set(
      snapshot.destinationRules.filter((r) => r.workloadSelector).map((r) => r.meta.namespace),
    );
    for (const w of snapshot.workloads) this.addClient(w);
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
      !!outboundExcludedPorts(w) ||
      !!w.gateway ||
      this.namespacesWithSelectorRules.has(w.meta.namespace) ||
      this.visibility.hasSelectorSidecars(w.meta.namespace)
    );
  }

  private readonly targetsByBackend = memo(() => {
    const map = new Map<Workload, ServiceTarget[]>();
    for (const target of this.targets) {
      for (const w of target.backends) map.set(w, [...(map.get(w) ?? []), target]);
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
    if (client.proxy === 'none') return { key: 'none', profile: NO_PROXY };
    if (client.proxy === 'ambient') return { key: 'ambient', profile: AMBIENT };
    const ns = client.meta.namespace;
    if (this.isIndividualClient(client))
      return { key: `workload:${ns}/${client.meta.name}`, profile: clientProfile(client) };
    return this.namespaceIsSpecific(target, ns)
      ? { key: `sidecar:${ns}`, profile: { namespace: ns, proxy: 'sidecar' } }
      : { key: 'sidecar', profile: SHARED_SIDECAR };
  }

  /** Sidecar clients in this namespace may see a different DestinationRule than clients elsewhere. */
  private namespaceIsSpecific(target: ServiceTarget, namespace: string): boolean {
    const facts = this.targetFacts(target);
    return (
      facts.restrictedExport ||
      namespace === target.namespace ||
      facts.localRuleNamespaces.has(namespace) ||
      facts.sidecarNamespaces.has(namespace)
    );
  }

  /** The namespaces whose sidecar clients need their own evaluation for this target (usually a few). */
  private specificNamespaces(target: ServiceTarget): Iterable<string> {
    const facts = this.targetFacts(target);
    if (facts.restrictedExport) return this.sidecarClientsByNamespace.keys();
    return new Set([target.namespace, ...facts.localRuleNamespaces, ...facts.sidecarNamespaces]);
  }

  private readonly targetFactsCache = new Map<
    ServiceTarget,
    { localRuleNamespaces: Set<string>; restrictedExport: boolean; sidecarNamespaces: Set<string> }
  >();
  private targetFacts(target: ServiceTarget) {
    let facts = this.targetFactsCache.get(target);
    if (!facts) {
      const localRuleNamespaces = this.destinationRules.namespacesWithLocalRulesFor(target.host);
      localRuleNamespaces.add(this.rootNamespace);
      facts = {
        localRuleNamespaces,
        // A service exported to some namespaces only, or a root Sidecar ("." is each client's own
        // namespace): every namespace may see it differently.
        restrictedExport:
          this.destinationRules.hasRestrictedExport(target.host, target.namespace) ||
          this.visibility.isRestricted(target) ||
          !!this.visibility.rootSidecar,
        sidecarNamespaces: new Set([
          ...this.visibility.namespacesWithSidecars(),
          ...this.routes.namespacesWithPrivateRoutes(),
        ]),
      };
      this.targetFactsCache.set(target, facts);
    }
    return facts;
  }

  /** Every group of clients towards a target, without visiting each client workload. */
  clientGroups(target: ServiceTarget): ClientGroup[] {
    const groups: ClientGroup[] = [];
    const fixed = (
      key: string,
      profile: ClientProfile,
      members: Workload[],
      namespaces?: string[],
    ): ClientGroup => ({
      key,
      profile,
      count: members.length,
      hypothetical: false,
      sample: (limit, skip) => takeSample([members], limit, skip),
      namespaces: namespaces
        ? () => namespaces
        : memo(() => [...new Set(members.map((w) => w.meta.namespace))]),
    });
    if (this.clientsWithoutProxy.length > 0) {
      groups.push(fixed('none', NO_PROXY, this.clientsWithoutProxy, this.noProxyNamespaces()));
    }
    if (this.ambientClients.length > 0)
      groups.push(fixed('ambient', AMBIENT, this.ambientClients, this.ambientNamespaces()));
    for (const w of this.individualSidecarClients) {
      groups.push(
        fixed(`workload:${w.meta.namespace}/${w.meta.name}`, clientProfile(w), [w], [w.meta.namespace]),
      );
    }
    let specificCount = 0;
    const specificNamespaces: string[] = [];
    for (const ns of this.specificNamespaces(target)) {
      const members = this.sidecarClientsByNamespace.get(ns);
      if (!members) continue;
      specificNamespaces.push(ns);
      specificCount += members.length;
      groups.push(fixed(`sidecar:${ns}`, { namespace: ns, proxy: 'sidecar' }, members, [ns]));
    }
    const sharedCount = this.sharedSidecarClientCount - specificCount;
    if (sharedCount > 0) {
      const skip = new Set(specificNamespaces);
      groups.push({
        key: 'sidecar',
        profile: SHARED_SIDECAR,
        count: sharedCount,
        hypothetical: false,
        sample: (limit, skipWorkload) =>
          takeSample(
            [...this.sidecarClientsByNamespace].filter(([ns]) => !skip.has(ns)).map(([, list]) => list),
            limit,
            skipWorkload,
          ),
        namespaces: memo(() => [...this.sidecarClientsByNamespace.keys()].filter((ns) => !skip.has(ns))),
      });
    }
    if (this.snapshot.workloads.length === 0) {
      // Policy-only input: judge the policies against stand-in clients with and without a sidecar.
      const none = (key: string, profile: ClientProfile): ClientGroup => ({
        key,
        profile,
        count: 0,
        hypothetical: true,
        sample: () => [],
        namespaces: () => [],
      });
      groups.push(
        none('none', NO_PROXY),
        none(`sidecar:${target.namespace}`, { namespace: target.namespace, proxy: 'sidecar' }),
      );
    }
    return groups;
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
    let perTarget = this.pairCache.get(target);
    if (!perTarget) {
      perTarget = new Map();
      this.pairCache.set(target, perTarget);
    }
    const key = `${cls.key}#${port.port}`;
    let result = perTarget.get(key);
    if (!result) {
      result = this.evaluator.evaluate(cls.profile, target, port);
      perTarget.set(key, result);
    }
    return result;
  }
}
