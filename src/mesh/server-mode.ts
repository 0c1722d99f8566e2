// Effective inbound mTLS mode of a workload port, as istiod composes it.
// Follows istio/istio: pilot/pkg/security/authn/policy_applier.go (ComposePeerAuthentication,
// GetMutualTLSModeForPort) and pilot/pkg/model/authentication.go (addPeerAuthentication,
// GetNamespaceMutualTLSMode, getConfigsForWorkload).
import type { MtlsMode, ObjectMeta, PeerAuthentication, Workload } from '../snapshot/types.js';
import { selectorMatches } from './selectors.js';

export type EffectiveMode = Exclude<MtlsMode, 'UNSET'>;
export type PolicyLevel = 'default' | 'mesh' | 'namespace' | 'workload' | 'port';

export interface ModeDecision {
  readonly mode: EffectiveMode;
  /** The level whose policy set the mode (UNSET levels inherit and are skipped). */
  readonly level: PolicyLevel;
  readonly policy?: PeerAuthentication;
}

export interface WorkloadPolicy {
  readonly mesh?: PeerAuthentication;
  readonly namespace?: PeerAuthentication;
  readonly workload?: PeerAuthentication;
  /** Selector policies that also match this workload but lose to `workload` (oldest wins). */
  readonly losingWorkloadPolicies: readonly PeerAuthentication[];
  readonly base: ModeDecision;
  readonly ports: ReadonlyMap<number, ModeDecision>;
}

export interface IgnoredPolicy {
  readonly policy: PeerAuthentication;
  readonly reason: 'second-in-scope' | 'selector-in-root-namespace';
  readonly winner?: PeerAuthentication;
}

type Aged = { meta: Pick<ObjectMeta, 'creationTimestamp' | 'existedBefore' | 'name' | 'namespace'> };

/** Istio's configCompareByCreationTime: oldest first, then name, then namespace. */
export function compareByAge(a: Aged, b: Aged): number {
  const ta = createdAt(a.meta);
  const tb = createdAt(b.meta);
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (a.meta.name !== b.meta.name) return a.meta.name < b.meta.name ? -1 : 1;
  return a.meta.namespace < b.meta.namespace ? -1 : a.meta.namespace > b.meta.namespace ? 1 : 0;
}

/**
 * When an object was created, for ordering. One without a creationTimestamp is not in the cluster
 * yet (a pull request's new file, a what-if) unless it is known to exist already: the API server
 * stamps it when it is created, so it is the newest and loses to every existing policy or rule of its
 * scope. Existing objects whose timestamp is unknown come after the stamped ones, as they do on the
 * side they were read from. Objects alike tie, and their names decide.
 */
function createdAt(meta: Aged['meta']): number {
  const t = meta.creationTimestamp ? Date.parse(meta.creationTimestamp) : Number.NaN;
  if (!Number.isNaN(t)) return t;
  return meta.existedBefore ? Number.MAX_VALUE : Number.POSITIVE_INFINITY;
}

/** Not in the cluster yet: the API server will stamp it the newest of its scope. */
export function isNotCreatedYet(meta: Aged['meta']): boolean {
  return Number.isNaN(Date.parse(meta.creationTimestamp ?? '')) && !meta.existedBefore;
}

export class PeerAuthenticationIndex {
  readonly meshPolicy?: PeerAuthentication;
  readonly ignored: IgnoredPolicy[] = [];
  private readonly namespacePolicies = new Map<string, PeerAuthentication>();
  private readonly selectorPoliciesByNamespace = new Map<string, PeerAuthentication[]>();
  private readonly workloadCache = new WeakMap<Workload, WorkloadPolicy>();

  constructor(
    policies: readonly PeerAuthentication[],
    readonly rootNamespace: string,
  ) {
    const sorted = [...policies].sort(compareByAge);
    for (const policy of sorted) {
      const ns = policy.meta.namespace;
      if (policy.selector) {
        if (ns === rootNamespace) {
          this.ignored.push({ policy, reason: 'selector-in-root-namespace' });
          continue;
        }
        const list = this.selectorPoliciesByNamespace.get(ns) ?? [];
        list.push(policy);
        this.selectorPoliciesByNamespace.set(ns, list);
        continue;
      }
      const winner = this.namespacePolicies.get(ns);
      if (winner) {
        this.ignored.push({ policy, reason: 'second-in-scope', winner });
        continue;
      }
      this.namespacePolicies.set(ns, policy);
    }
    this.meshPolicy = this.namespacePolicies.get(rootNamespace);
  }

  /** The namespace-wide policy (for the root namespace this is the mesh policy). */
  namespacePolicy(namespace: string): PeerAuthentication | undefined {
    return this.namespacePolicies.get(namespace);
  }

  selectorPolicies(namespace: string): readonly PeerAuthentication[] {
    return this.selectorPoliciesByNamespace.get(namespace) ?? [];
  }

  /**
   * Whether Istio ignores the policy for every workload it could apply to: a younger selector-less
   * policy of its scope, a selector policy in the root namespace, or a selector policy an older one
   * always beats, since every workload it selects has the older one's labels too.
   */
  ignoredEverywhere(policy: PeerAuthentication): boolean {
    if (this.ignored.some((i) => i.policy === policy)) return true;
    const labels = policy.selector;
    if (!labels) return false;
    const policies = this.selectorPolicies(policy.meta.namespace);
    const older = policies.slice(0, Math.max(0, policies.indexOf(policy)));
    return older.some((o) => selectorMatches(o.selector, labels));
  }

  forWorkload(workload: Workload): WorkloadPolicy {
    const cached = this.workloadCache.get(workload);
    if (cached) return cached;
    const ns = workload.meta.namespace;
    const mesh = this.meshPolicy;
    const namespace = ns === this.rootNamespace ? undefined : this.namespacePolicies.get(ns);
    const selectorPolicies = this.selectorPolicies(ns);
    const matching =
      selectorPolicies.length === 0
        ? NO_POLICIES
        : selectorPolicies.filter((p) => selectorMatches(p.selector, workload.podLabels));
    const workloadPolicy = matching[0];
    const losing = matching.length > 1 ? matching.slice(1) : NO_POLICIES;

    // Kept for every workload of the mesh: the decisions of mesh and namespace policies are shared.
    let base: ModeDecision = DEFAULT_DECISION;
    if (isSet(mesh?.mode)) base = this.policyDecision(mesh, mesh.mode, 'mesh');
    if (isSet(namespace?.mode)) base = this.policyDecision(namespace, namespace.mode, 'namespace');
    if (isSet(workloadPolicy?.mode))
      base = { mode: workloadPolicy.mode, level: 'workload', policy: workloadPolicy };

    const portLevel = workloadPolicy?.portLevelMtls;
    const ports = portLevel && portLevel.size > 0 ? new Map<number, ModeDecision>() : NO_PORTS;
    for (const [port, mode] of portLevel ?? []) {
      // An UNSET port entry inherits the workload's effective mode.
      (ports as Map<number, ModeDecision>).set(
        port,
        mode === 'UNSET' ? base : { mode, level: 'port', policy: workloadPolicy },
      );
    }
    const result: WorkloadPolicy = {
      mesh,
      namespace,
      workload: workloadPolicy,
      losingWorkloadPolicies: losing,
      base,
      ports,
    };
    this.workloadCache.set(workload, result);
    return result;
  }

  private readonly decisions = new Map<PeerAuthentication, ModeDecision>();

  /** The decision of a mesh or namespace policy with a set mode (one object per policy). */
  private policyDecision(policy: PeerAuthentication, mode: EffectiveMode, level: PolicyLevel): ModeDecision {
    let decision = this.decisions.get(policy);
    if (!decision) {
      decision = { mode, level, policy };
      this.decisions.set(policy, decision);
    }
    return decision;
  }

  /** Effective mode for a container/target port of the workload. */
  modeForPort(workload: Workload, targetPort: number): ModeDecision {
    const policy = this.forWorkload(workload);
    return policy.ports.get(targetPort) ?? policy.base;
  }

  /**
   * GetNamespaceMutualTLSMode: what auto mTLS reads for a service's namespace. Only mesh and
   * namespace policies count; workload and port level are ignored. undefined = UNKNOWN.
   */
  namespaceMode(namespace: string): { mode: EffectiveMode; policy?: PeerAuthentication } | undefined {
    const meshMode = isSet(this.meshPolicy?.mode)
      ? this.meshPolicy.mode
      : this.meshPolicy
        ? 'PERMISSIVE'
        : undefined;
    const nsPolicy = namespace === this.rootNamespace ? undefined : this.namespacePolicies.get(namespace);
    if (nsPolicy) {
      if (isSet(nsPolicy.mode)) return { mode: nsPolicy.mode, policy: nsPolicy };
      return { mode: meshMode ?? 'PERMISSIVE', policy: this.meshPolicy ?? nsPolicy };
    }
    return meshMode ? { mode: meshMode, policy: this.meshPolicy } : undefined;
  }
}

const DEFAULT_DECISION: ModeDecision = { mode: 'PERMISSIVE', level: 'default' };
const NO_POLICIES: readonly PeerAuthentication[] = Object.freeze([]);
const NO_PORTS: ReadonlyMap<number, ModeDecision> = new Map();

function isSet(mode: MtlsMode | undefined): mode is EffectiveMode {
  return mode !== undefined && mode !== 'UNSET';
}

/**
 * The policies with every namespace-wide PeerAuthentication of `namespace` (the root namespace: the
 * mesh's) set to `mode`, kept where they are written; without one, `default` is added. Workload policies
 * stay as they are: they still override the namespace, as in Istio. What a what-if changes, and what the
 * migration judges a namespace's switch to STRICT on.
 */
export function withNamespaceMode(
  policies: readonly PeerAuthentication[],
  namespace: string,
  mode: MtlsMode,
): PeerAuthentication[] {
  const wide = (pa: PeerAuthentication) =>
    pa.meta.namespace === namespace && (!pa.selector || Object.keys(pa.selector).length === 0);
  let found = false;
  const changed = policies.map((pa) => {
    if (!wide(pa)) return pa;
    found = true;
    return { ...pa, mode };
  });
  if (!found) {
    changed.push({
      meta: { name: 'default', namespace, labels: {}, annotations: {} },
      mode,
      portLevelMtls: new Map(),
    });
  }
  return changed;
}
