// The `tlsMode` istiod gives a workload's endpoints, which auto mTLS keys on (not "has a sidecar").
// Follows istio/istio: pilot/pkg/serviceregistry/kube/conversion.go PodTLSMode and
// pilot/pkg/model/service.go GetTLSModeFromEndpointLabels (the label's value, any string, else
// "disabled"); the injector sets the label on injected pods:
// manifests/charts/istio-control/istio-discovery/files/injection-template.yaml
// (`security.istio.io/tlsMode: {{ index .ObjectMeta.Labels "security.istio.io/tlsMode" | default "istio" }}`).
import type { Labels, ProxyKind, Workload } from './types.js';

export const TLS_MODE_LABEL = 'security.istio.io/tlsMode';
export const ISTIO_TLS_MODE = 'istio';
export const DISABLED_TLS_MODE = 'disabled';

/**
 * A pod's tlsMode as istiod reads it. A running pod carries its own label; a template that the
 * injector will inject gets "istio" unless the template sets the label itself.
 */
export function podTlsMode(
  labels: Labels,
  options: { runningPod: boolean; proxy: ProxyKind; gateway?: boolean },
): string {
  const label = labels[TLS_MODE_LABEL];
  if (label !== undefined) return label;
  // The gateway template (gateway-injection-template.yaml) does not set the label.
  if (!options.runningPod && options.proxy === 'sidecar' && !options.gateway) return ISTIO_TLS_MODE;
  return DISABLED_TLS_MODE;
}

/** The workload's endpoint tlsMode (from the snapshot, or derived as for a template). */
export function endpointTlsMode(workload: Workload): string {
  return workload.tlsMode ?? podTlsMode(workload.podLabels, { runningPod: false, proxy: workload.proxy });
}
