// Decides whether a workload runs with a sidecar, under ambient (ztunnel), or with no proxy at all.
// Follows the injector's policy (istio/istio: pkg/kube/inject/webhook.go injectRequired and the
// webhook's namespace/object selectors in manifests/charts/istio-control/istio-discovery/templates/
// mutatingwebhook.yaml) and ambient enrolment (istio.io/dataplane-mode, cni/pkg/util/podutil.go).
import type { Labels, ProxyKind } from './types.js';

export interface ProxyInputs {
  readonly namespaceLabels: Labels | undefined;
  readonly podLabels: Labels;
  readonly podAnnotations: Labels;
  readonly containerNames: readonly string[];
  readonly hostNetwork: boolean;
  readonly namespace: string;
}

export interface ProxyDecision {
  readonly proxy: ProxyKind;
  readonly reason: string;
}

// The injector never touches these (pkg/kube/inject: IgnoredNamespaces).
const NEVER_INJECTED = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']);

export function decideProxy(inputs: ProxyInputs): ProxyDecision {
  const { podLabels, podAnnotations, namespaceLabels = {} } = inputs;
  if (inputs.containerNames.includes('istio-proxy')) {
    return { proxy: 'sidecar', reason: 'has an istio-proxy container' };
  }
  if (inputs.hostNetwork) return { proxy: 'none', reason: 'uses hostNetwork (never injected)' };
  if (NEVER_INJECTED.has(inputs.namespace)) {
    return { proxy: 'none', reason: `namespace ${inputs.namespace} is never injected` };
  }

  const sidecar = sidecarInjection(namespaceLabels, podLabels, podAnnotations);
  if (sidecar) return sidecar;

  const podMode = podLabels['istio.io/dataplane-mode'];
  if (podMode === 'none') return { proxy: 'none', reason: 'pod label istio.io/dataplane-mode=none' };
  if (podMode === 'ambient') return { proxy: 'ambient', reason: 'pod label istio.io/dataplane-mode=ambient' };
  if (namespaceLabels['istio.io/dataplane-mode'] === 'ambient') {
    return { proxy: 'ambient', reason: 'namespace label istio.io/dataplane-mode=ambient' };
  }
  return { proxy: 'none', reason: noInjectionReason(namespaceLabels, podLabels, podAnnotations) };
}

// The webhooks' selectors see labels only, and compare values exactly (mutatingwebhook.yaml):
// namespace istio-injection=enabled, or istio.io/rev without istio-injection, or pod label
// sidecar.istio.io/inject=true (or istio.io/rev) in a namespace without istio-injection. Once a webhook
// is called, injectRequired also honours the legacy annotation sidecar.istio.io/inject=false.
function sidecarInjection(
  namespaceLabels: Labels,
  podLabels: Labels,
  podAnnotations: Labels,
): ProxyDecision | undefined {
  const namespaceInjection = namespaceLabels['istio-injection'];
  const podLabel = podLabels['sidecar.istio.io/inject'];
  if (podLabel === 'false') return undefined;
  let decision: ProxyDecision | undefined;
  if (namespaceInjection === 'enabled') {
    decision = { proxy: 'sidecar', reason: 'namespace label istio-injection=enabled' };
  } else if (namespaceInjection === undefined) {
    const revision = namespaceLabels['istio.io/rev'];
    if (revision) decision = { proxy: 'sidecar', reason: `namespace label istio.io/rev=${revision}` };
    else if (podLabel === 'true')
      decision = { proxy: 'sidecar', reason: 'pod label sidecar.istio.io/inject=true' };
    else if (podLabels['istio.io/rev'])
      decision = { proxy: 'sidecar', reason: `pod label istio.io/rev=${podLabels['istio.io/rev']}` };
  }
  // Any other istio-injection value (disabled, or a typo such as "true") matches no webhook.
  if (
    decision &&
    podLabel === undefined &&
    podAnnotations['sidecar.istio.io/inject']?.toLowerCase() === 'false'
  )
    return undefined;
  return decision;
}

function noInjectionReason(namespaceLabels: Labels, podLabels: Labels, podAnnotations: Labels): string {
  const namespaceInjection = namespaceLabels['istio-injection'];
  if (namespaceInjection === 'disabled') return 'namespace label istio-injection=disabled';
  if (namespaceInjection !== undefined && namespaceInjection !== 'enabled') {
    return `namespace label istio-injection=${namespaceInjection} matches no injection webhook (only "enabled" does)`;
  }
  const podChoice = podLabels['sidecar.istio.io/inject'] ?? podAnnotations['sidecar.istio.io/inject'];
  if (podChoice?.toLowerCase() === 'false') return 'pod opted out with sidecar.istio.io/inject=false';
  if (podAnnotations['sidecar.istio.io/inject'] === 'true') {
    return 'only the annotation sidecar.istio.io/inject=true asks for injection; the webhook selects on the label';
  }
  return 'namespace not labelled for injection (istio-injection / istio.io/rev) nor ambient';
}
