// What gives a workload without a proxy its proxy, worked out from why it has none (the injector's own
// decision, snapshot/proxy-status.ts, asked again with the change made). Labelling the namespace for
// injection helps only a workload the injector would then select: one that opts out
// (sidecar.istio.io/inject: "false") needs its template changed, a pod that opts out of its ambient
// namespace (istio.io/dataplane-mode: none) belongs in ambient (labelling the namespace for sidecars
// would move every ambient workload there to sidecars), a hostNetwork pod never gets a proxy, and pods
// started before their template asked for injection need only a restart.
import type { ResolvedMesh } from '../mesh/resolve.js';
import {
  injectableNamespace,
  labelNamespaceForInjection,
  type RemediationPlan,
  restartWorkload,
} from '../remediation/plans.js';
import {
  enrolInAmbient,
  hasRollout,
  injectionRequested,
  requestInjection,
} from '../remediation/pod-template-plans.js';
import { cannotBeInjected, decideProxy, injectionChoice } from '../snapshot/proxy-status.js';
import type { Labels, ProxyKind, Workload } from '../snapshot/types.js';

export interface ProxyFix {
  /**
   * label-namespace: labelling its namespace istio-injection=enabled injects it; restart: its template
   * already gets a sidecar; template: its own pod template keeps the proxy away; none: no plan helps.
   */
  readonly kind: 'label-namespace' | 'restart' | 'template' | 'none';
  /** The proxy the fix gives (kind template): a sidecar, or ztunnel for an ambient namespace. */
  readonly proxy?: 'sidecar' | 'ambient';
  /** The template change (kind template, for kinds with a rollout). */
  readonly plan?: RemediationPlan;
  /** Said in the finding's fix when labelling the namespace is not the answer. */
  readonly advice?: string;
}

const DATAPLANE_MODE = 'istio.io/dataplane-mode';

// How the pods of each kind come back, injected (only Deployments, StatefulSets and DaemonSets roll).
const RESTART_WORDS: Partial<Record<Workload['kind'], string>> = {
  Pod: 'delete and recreate it (a bare pod has no controller to restart it)',
  Job: 'create it again (a Job has no rollout)',
  CronJob: 'its next run gets the sidecar',
  ReplicaSet: 'delete its pods so it recreates them',
};

// Per mesh: an impact's after-snapshot shares workload objects with the before one, not its namespace
// labels, webhooks or root namespace.
const fixesByMesh = new WeakMap<ResolvedMesh, Map<Workload, ProxyFix>>();

export function proxyFix(mesh: ResolvedMesh, w: Workload): ProxyFix {
  return perMesh(fixesByMesh, mesh, w, () => decide(mesh, w));
}

/** The value under `key` for this mesh, worked out once. */
function perMesh<K, V>(
  cache: WeakMap<ResolvedMesh, Map<K, V>>,
  mesh: ResolvedMesh,
  key: K,
  compute: () => V,
): V {
  let byKey = cache.get(mesh);
  if (!byKey) {
    byKey = new Map();
    cache.set(mesh, byKey);
  }
  let value = byKey.get(key);
  if (value === undefined) {
    value = compute();
    byKey.set(key, value);
  }
  return value;
}

function decide(mesh: ResolvedMesh, w: Workload): ProxyFix {
  const name = `${w.meta.namespace}/${w.meta.name}`;
  const ns = w.meta.namespace;
  if (w.hostNetwork)
    return {
      kind: 'none',
      advice: `${name} uses hostNetwork: the injector never gives it a sidecar (nor does ztunnel capture it), so keep the ports it calls PERMISSIVE (a port exception)`,
    };
  // kube-system's callers and Istio's agents: the callers say so in their own words.
  if (cannotBeInjected(w, mesh.rootNamespace)) return { kind: 'none' };
  if (proxyWith(mesh, w, {}) === 'sidecar')
    return {
      kind: 'restart',
      advice: `${name} runs pods started before injection was asked for it: ${RESTART_WORDS[w.kind] ?? 'restart it'}`,
    };
  const namespaceLabels = labelsOf(mesh, ns);
  if (namespaceLabels[DATAPLANE_MODE] === 'ambient') {
    const enrols =
      w.podLabels[DATAPLANE_MODE] === 'none' &&
      proxyWith(mesh, w, { podLabels: { ...w.podLabels, [DATAPLANE_MODE]: 'ambient' } }) === 'ambient';
    return enrols
      ? {
          kind: 'template',
          proxy: 'ambient',
          plan: hasRollout(w) ? enrolInAmbient(w) : undefined,
          advice: `${name} opts out of ambient namespace ${ns} (pod label ${DATAPLANE_MODE}=none): set that label to ambient in its template; labelling ${ns} for sidecar injection would move every ambient workload there to sidecars`,
        }
      : { kind: 'none', advice: `${name} has no proxy in ambient namespace ${ns}: ${w.proxyReason}` };
  }
  const choice = injectionChoice(w.podLabels, w.podAnnotations);
  if (choice.inject === false) {
    const asked = injectionRequested(w);
    const injected =
      proxyWith(mesh, w, {
        podLabels: { ...w.podLabels, ...asked.labels },
        podAnnotations: { ...w.podAnnotations, ...asked.annotations },
      }) === 'sidecar';
    return injected
      ? {
          kind: 'template',
          proxy: 'sidecar',
          plan: hasRollout(w) ? requestInjection(w) : undefined,
          advice: `${name} opts out of injection (${choice.from} sidecar.istio.io/inject=false), so labelling its namespace does not inject it: set that ${choice.from} to "true" in its template if the opt-out is no longer wanted`,
        }
      : {
          kind: 'none',
          advice: `${name} opts out of injection (${choice.from} sidecar.istio.io/inject=false), and no injector webhook would select it without the opt-out either`,
        };
  }
  // Istio's own namespace is not labelled (its control plane would restart): callers say what to do.
  if (!injectableNamespace(ns, mesh.rootNamespace)) return { kind: 'none' };
  const labelled = { ...namespaceLabels, 'istio-injection': 'enabled' };
  if (proxyWith(mesh, w, { namespaceLabels: labelled }) === 'sidecar') return { kind: 'label-namespace' };
  return {
    kind: 'none',
    advice: `${name}: labelling ${ns} istio-injection=enabled would not inject it (${w.proxyReason})`,
  };
}

/** The proxy the injector (or ambient) would give the workload's template with these labels. */
function proxyWith(
  mesh: ResolvedMesh,
  w: Workload,
  change: { namespaceLabels?: Labels; podLabels?: Labels; podAnnotations?: Labels },
): ProxyKind {
  return decideProxy({
    namespaceLabels: change.namespaceLabels ?? labelsOf(mesh, w.meta.namespace),
    podLabels: change.podLabels ?? w.podLabels,
    podAnnotations: change.podAnnotations ?? w.podAnnotations,
    containerNames: w.containerNames,
    hostNetwork: w.hostNetwork,
    namespace: w.meta.namespace,
    webhooks: mesh.snapshot.injectionWebhooks,
  }).proxy;
}

const namespaceLabels = new WeakMap<ResolvedMesh, Map<string, Labels>>();

function labelsOf(mesh: ResolvedMesh, namespace: string): Labels {
  let byName = namespaceLabels.get(mesh);
  if (!byName) {
    byName = new Map(mesh.snapshot.namespaces.map((n) => [n.name, n.labels]));
    namespaceLabels.set(mesh, byName);
  }
  return byName.get(namespace) ?? {};
}

export interface ProxyFixOptions {
  /**
   * Whether an ambient workload would reach what these workloads fail to reach: ztunnel sends
   * plaintext to a sidecar that does not accept HBONE, so enrolment in ambient does not repair calls
   * to such a server. Undefined: enrolment is the fix whatever they call.
   */
  readonly ambientRepairs?: () => boolean;
}

export interface ProxyFixes {
  /** The namespace's injection label (with the restarts it needs), then template changes and restarts. */
  readonly plans: RemediationPlan[];
  /** Why labelling the namespace is not the answer for some of them. */
  readonly advice: string[];
  /** Some of them get a sidecar once their namespace is labelled. */
  readonly needsLabel: boolean;
}

const MAX_WORKLOAD_PLANS = 3;
// Findings say three at most; a namespace may hold thousands of opted-out workloads.
const MAX_ADVICE = 3;

/** The plans that give these workloads (of one namespace, all without a proxy) a proxy. */
/** The workloads of a namespace without any proxy: the clients a proxy fix is for. */
export function proxylessIn(mesh: ResolvedMesh, namespace: string): Workload[] {
  return mesh.workloads.inNamespace(namespace).filter((w) => w.proxy === 'none');
}

export function proxyFixes(
  mesh: ResolvedMesh,
  namespace: string,
  workloads: readonly Workload[],
  options: ProxyFixOptions = {},
): ProxyFixes {
  const plans: RemediationPlan[] = [];
  const advice: string[] = [];
  const byKind = (kind: ProxyFix['kind']) => workloads.filter((w) => proxyFix(mesh, w).kind === kind);
  const needsLabel = byKind('label-namespace').length > 0;
  if (needsLabel) plans.push(namespaceLabelPlan(mesh, namespace));
  let templates = 0;
  for (const w of workloads) {
    const fix = proxyFix(mesh, w);
    const unrepaired = fix.proxy === 'ambient' && options.ambientRepairs?.() === false;
    if (fix.plan && !unrepaired && templates++ < MAX_WORKLOAD_PLANS) plans.push(fix.plan);
    if (fix.advice && advice.length < MAX_ADVICE)
      advice.push(
        unrepaired
          ? `${fix.advice} (though in ambient its calls here would still be reset: ztunnel sends plaintext to a sidecar that does not accept HBONE)`
          : fix.advice,
      );
  }
  // Started before their template was selected: in a labelled namespace the label would change nothing.
  if (!needsLabel)
    for (const w of byKind('restart').slice(0, MAX_WORKLOAD_PLANS))
      plans.push(restartWorkload(w, 'to inject the sidecar'));
  return { plans, advice, needsLabel };
}

const labelPlans = new WeakMap<ResolvedMesh, Map<string, RemediationPlan>>();

/**
 * The namespace's injection label, restarting the workloads it injects (and those that only need the
 * restart): one plan per namespace, the same whichever finding offers it.
 */
function namespaceLabelPlan(mesh: ResolvedMesh, namespace: string): RemediationPlan {
  return perMesh(labelPlans, mesh, namespace, () => {
    const injected = mesh.workloads
      .inNamespace(namespace)
      .filter((w) => w.proxy === 'none' && ['label-namespace', 'restart'].includes(proxyFix(mesh, w).kind));
    return labelNamespaceForInjection(namespace, injected);
  });
}
