// Decides whether a workload runs with a sidecar, under ambient (ztunnel), or with no proxy at all.
// Injection happens in two steps, both modelled here: the API server calls an injector webhook only when
// its namespaceSelector and objectSelector match (istio/istio: manifests/charts/istio-control/
// istio-discovery/templates/mutatingwebhook.yaml, or the MutatingWebhookConfigurations found in the
// input), then the injector decides (pkg/kube/inject/inject.go injectRequired). Ambient enrolment:
// istio.io/dataplane-mode (cni/pkg/util/podutil.go).
import { labelSelectorMatches } from './label-selector.js';
import type { InjectionWebhook, Labels, ProxyKind } from './types.js';

export interface ProxyInputs {
  readonly namespaceLabels: Labels | undefined;
  readonly podLabels: Labels;
  readonly podAnnotations: Labels;
  readonly containerNames: readonly string[];
  readonly hostNetwork: boolean;
  readonly namespace: string;
  /** The injector webhooks in the input; undefined: assume the default install (see ASSUMED_WEBHOOKS). */
  readonly webhooks?: readonly InjectionWebhook[];
  /**
   * webhooksSelectingNamespace of this namespace, when the caller has it: every workload of a
   * namespace shares it, so a large mesh computes it once per namespace, not once per workload.
   */
  readonly namespaceWebhooks?: readonly InjectionWebhook[];
}

export interface ProxyDecision {
  readonly proxy: ProxyKind;
  readonly reason: string;
}

// The injector never touches these (pkg/kube/inject: IgnoredNamespaces).
const NEVER_INJECTED = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']);

/** Kubernetes' own namespaces, which Istio's injector skips whatever their labels say. */
export function isNeverInjected(namespace: string): boolean {
  return NEVER_INJECTED.has(namespace);
}

// Istio's own agents run without a sidecar by design (istiod's template sets inject "false"; the CNI
// node agent and ztunnel are node-level DaemonSets) and call no application: told by their labels, in
// Istio's namespace only, so an application that happens to share a label is still judged.
const ISTIO_AGENTS = new Set(['istiod', 'istio-cni-node', 'ztunnel']);

/** The namespace Istio runs in: the root namespace, or istio-system when the root is another. */
export function isIstioNamespace(namespace: string, rootNamespace: string): boolean {
  return namespace === rootNamespace || namespace === 'istio-system';
}

/** istiod, the CNI node agent or ztunnel: never a caller of the mesh's services. */
export function isIstioAgent(
  w: { readonly meta: { readonly namespace: string }; readonly podLabels: Labels },
  rootNamespace: string,
): boolean {
  return (
    isIstioNamespace(w.meta.namespace, rootNamespace) &&
    (ISTIO_AGENTS.has(w.podLabels.app ?? '') ||
      ISTIO_AGENTS.has(w.podLabels['k8s-app'] ?? '') ||
      w.podLabels.istio === 'pilot')
  );
}

/**
 * A workload no sidecar can be given: one in a namespace the injector skips (an ingress controller in
 * kube-system still calls services, and is still judged as a caller), or one of Istio's own agents.
 */
export function cannotBeInjected(
  w: { readonly meta: { readonly namespace: string }; readonly podLabels: Labels },
  rootNamespace: string,
): boolean {
  return NEVER_INJECTED.has(w.meta.namespace) || isIstioAgent(w, rootNamespace);
}

const INJECT = 'sidecar.istio.io/inject';
const REVISION = 'istio.io/rev';
const NAMESPACE_INJECTION = 'istio-injection';
const NOT_FALSE = { key: INJECT, operator: 'NotIn', values: ['false'] } as const;

/**
 * The default revision's webhooks from mutatingwebhook.yaml (rev.namespace, rev.object, namespace,
 * object), used when the input holds no MutatingWebhookConfiguration. Since the input does not say
 * which revisions are installed, a webhook is assumed for any `istio.io/rev` value (Exists, where the
 * chart says In [<revision>]).
 */
const ASSUMED_WEBHOOKS: readonly InjectionWebhook[] = [
  {
    configuration: '(assumed)',
    name: 'rev.namespace.sidecar-injector.istio.io',
    namespaceSelector: {
      matchExpressions: [
        { key: REVISION, operator: 'Exists' },
        { key: NAMESPACE_INJECTION, operator: 'DoesNotExist' },
      ],
    },
    objectSelector: { matchExpressions: [NOT_FALSE] },
  },
  {
    configuration: '(assumed)',
    name: 'rev.object.sidecar-injector.istio.io',
    namespaceSelector: {
      matchExpressions: [
        { key: REVISION, operator: 'DoesNotExist' },
        { key: NAMESPACE_INJECTION, operator: 'DoesNotExist' },
      ],
    },
    objectSelector: { matchExpressions: [NOT_FALSE, { key: REVISION, operator: 'Exists' }] },
  },
  {
    configuration: '(assumed)',
    name: 'namespace.sidecar-injector.istio.io',
    namespaceSelector: {
      matchExpressions: [{ key: NAMESPACE_INJECTION, operator: 'In', values: ['enabled'] }],
    },
    objectSelector: { matchExpressions: [NOT_FALSE] },
  },
  {
    configuration: '(assumed)',
    name: 'object.sidecar-injector.istio.io',
    namespaceSelector: {
      matchExpressions: [
        { key: NAMESPACE_INJECTION, operator: 'DoesNotExist' },
        { key: REVISION, operator: 'DoesNotExist' },
      ],
    },
    objectSelector: {
      matchExpressions: [
        { key: INJECT, operator: 'In', values: ['true'] },
        { key: REVISION, operator: 'DoesNotExist' },
      ],
    },
  },
];

export function decideProxy(inputs: ProxyInputs): ProxyDecision {
  const { podLabels, namespaceLabels = {} } = inputs;
  if (inputs.containerNames.includes('istio-proxy')) {
    return { proxy: 'sidecar', reason: 'has an istio-proxy container' };
  }
  if (inputs.hostNetwork) return { proxy: 'none', reason: 'uses hostNetwork (never injected)' };
  if (NEVER_INJECTED.has(inputs.namespace)) {
    return { proxy: 'none', reason: `namespace ${inputs.namespace} is never injected` };
  }

  const sidecar = sidecarInjection(inputs);
  if (sidecar) return sidecar;

  const podMode = podLabels['istio.io/dataplane-mode'];
  if (podMode === 'none') return { proxy: 'none', reason: 'pod label istio.io/dataplane-mode=none' };
  if (podMode === 'ambient') return { proxy: 'ambient', reason: 'pod label istio.io/dataplane-mode=ambient' };
  if (namespaceLabels['istio.io/dataplane-mode'] === 'ambient') {
    return { proxy: 'ambient', reason: 'namespace label istio.io/dataplane-mode=ambient' };
  }
  return { proxy: 'none', reason: noInjectionReason(inputs) };
}

/** The injector webhooks (in their order) whose namespaceSelector selects this namespace. */
export function webhooksSelectingNamespace(
  namespace: string,
  namespaceLabels: Labels | undefined,
  webhooks: readonly InjectionWebhook[] | undefined,
): readonly InjectionWebhook[] {
  // Kubernetes labels every namespace with its name; webhooks select on it (the `auto.` webhook does).
  const labels = { ...namespaceLabels, 'kubernetes.io/metadata.name': namespace };
  return (webhooks ?? ASSUMED_WEBHOOKS).filter((w) => labelSelectorMatches(w.namespaceSelector, labels));
}

/** The first injector webhook the API server would call for this pod. */
function callingWebhook(inputs: ProxyInputs): InjectionWebhook | undefined {
  const candidates =
    inputs.namespaceWebhooks ??
    webhooksSelectingNamespace(inputs.namespace, inputs.namespaceLabels, inputs.webhooks);
  return candidates.find((w) => labelSelectorMatches(w.objectSelector, inputs.podLabels));
}

/**
 * injectRequired's object choice: the label `sidecar.istio.io/inject` if present (even empty), else the
 * annotation; only the exact strings "true" and "false" count, anything else falls back to the default
 * policy (`enabled` in a default install: inject).
 */
export function injectionChoice(
  podLabels: Labels,
  podAnnotations: Labels,
): {
  readonly value: string;
  readonly from: 'label' | 'annotation' | 'none';
  readonly inject?: boolean;
} {
  const fromLabel = Object.hasOwn(podLabels, INJECT);
  const value = (fromLabel ? podLabels[INJECT] : podAnnotations[INJECT]) ?? '';
  const from = fromLabel ? 'label' : podAnnotations[INJECT] !== undefined ? 'annotation' : 'none';
  return { value, from, inject: value === 'true' ? true : value === 'false' ? false : undefined };
}

function sidecarInjection(inputs: ProxyInputs): ProxyDecision | undefined {
  const webhook = callingWebhook(inputs);
  if (!webhook) return undefined;
  const choice = injectionChoice(inputs.podLabels, inputs.podAnnotations);
  if (choice.inject === false) return undefined;
  let reason = selectionReason(inputs);
  if (inputs.webhooks) reason += ` (injector webhook ${webhook.name} of ${webhook.configuration})`;
  if (choice.from !== 'none' && choice.inject === undefined) {
    reason += `; the ${choice.from} ${INJECT}="${choice.value}" is neither "true" nor "false", so the default policy (inject) applies`;
  }
  return { proxy: 'sidecar', reason };
}

/** Which labels put the pod under an injector webhook, in the chart's order of precedence. */
function selectionReason(inputs: ProxyInputs): string {
  const ns = inputs.namespaceLabels ?? {};
  if (ns[NAMESPACE_INJECTION] === 'enabled') return 'namespace label istio-injection=enabled';
  if (ns[REVISION]) return `namespace label istio.io/rev=${ns[REVISION]}`;
  if (inputs.podLabels[REVISION]) return `pod label istio.io/rev=${inputs.podLabels[REVISION]}`;
  if (inputs.podLabels[INJECT] === 'true') return 'pod label sidecar.istio.io/inject=true';
  return 'an injector webhook selects every namespace (enableNamespacesByDefault)';
}

function noInjectionReason(inputs: ProxyInputs): string {
  const namespaceLabels = inputs.namespaceLabels ?? {};
  const namespaceInjection = namespaceLabels[NAMESPACE_INJECTION];
  if (namespaceInjection === 'disabled') return 'namespace label istio-injection=disabled';
  if (namespaceInjection !== undefined && namespaceInjection !== 'enabled') {
    return `namespace label istio-injection=${namespaceInjection} matches no injection webhook (only "enabled" does)`;
  }
  const choice = injectionChoice(inputs.podLabels, inputs.podAnnotations);
  if (choice.inject === false) return `pod opted out with the ${choice.from} sidecar.istio.io/inject=false`;
  const revision = namespaceLabels[REVISION] ?? inputs.podLabels[REVISION];
  if (inputs.webhooks && revision && namespaceInjection === undefined) {
    const where = namespaceLabels[REVISION] ? 'namespace' : 'pod';
    return `${where} label istio.io/rev=${revision}, but no injector webhook in the MutatingWebhookConfigurations selects revision ${revision} (is that revision, or a revision tag for it, installed?)`;
  }
  if (inputs.podAnnotations[INJECT] === 'true') {
    return 'only the annotation sidecar.istio.io/inject=true asks for injection; the webhook selects on the label';
  }
  return 'namespace not labelled for injection (istio-injection / istio.io/rev) nor ambient';
}
