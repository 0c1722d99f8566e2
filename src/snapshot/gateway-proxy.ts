// Whether a workload's proxy is a gateway (Envoy node type "router") rather than a sidecar. Istio does
// not look at labels such as `istio: ingressgateway`: the type is pilot-agent's first argument
// (`proxy router`; pilot/cmd/pilot-agent/app/cmd.go, pkg/model/proxy.go NodeType Router), which the
// proxy container gets either explicitly (the legacy gateways charts' deployment.yaml, the Gateway API
// deployment template kube-gateway.yaml) or from the injector's `gateway` template
// (gateway-injection-template.yaml), chosen by the pod annotation `inject.istio.io/templates`
// (pkg/kube/inject/inject.go selectTemplates: comma-separated, trimmed). The gateway helm chart sets
// that annotation (manifests/charts/gateway/values.yaml).
import type { Labels, ProxyKind } from './types.js';

const TEMPLATES = 'inject.istio.io/templates';

export interface ProxyContainer {
  readonly name: string;
  readonly args?: readonly string[] | null;
}

/** Why this workload's proxy is a router, or undefined for a sidecar (or no proxy). */
export function routerReason(
  containers: readonly ProxyContainer[],
  podAnnotations: Labels,
  proxy: ProxyKind,
): string | undefined {
  if (proxy !== 'sidecar') return undefined;
  const args = containers.find((c) => c.name === 'istio-proxy')?.args ?? [];
  // An explicit container states its type; the injector replaces `args` only when it injects.
  if (args[0] === 'proxy' && args[1] !== undefined) {
    return args[1] === 'router' ? 'its istio-proxy container runs `proxy router`' : undefined;
  }
  const templates = (podAnnotations[TEMPLATES] ?? '').split(',').map((t) => t.trim());
  if (templates.includes('gateway'))
    return `annotation ${TEMPLATES}=${podAnnotations[TEMPLATES]} (the injector's gateway template runs \`proxy router\`)`;
  return undefined;
}
