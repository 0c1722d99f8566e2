// Which waypoint a Service or a workload uses, as istiod resolves it (istio/istio master,
// pilot/pkg/serviceregistry/ambient/waypoints.go): GetUseWaypoint reads the label istio.io/use-waypoint
// (with istio.io/use-waypoint-namespace), fetchWaypointForTarget tries the object's own label, then its
// namespace's, and fetchWaypointForService / fetchWaypointForWorkload check the waypoint's traffic type
// (label istio.io/waypoint-for, default "service"). A waypoint that istiod cannot find leaves the target
// without one (a status condition, no fallback to the namespace's waypoint): traffic goes straight to
// the pods. So does one whose HBONE listener does not admit the subject's namespace
// (AllowsAttachmentFromNamespace(OrLookup): allowedRoutes.namespaces "Same" by default, "All", or
// "Selector" on the namespace's labels; ReportWaypointAttachmentDenied). What istiod finds are
// Gateways; the input may hold them, or only the waypoint's pods.
import { labelSelectorMatches } from '../snapshot/label-selector.js';
import type { Labels, WaypointGateway, Workload } from '../snapshot/types.js';

export const USE_WAYPOINT = 'istio.io/use-waypoint';
const USE_WAYPOINT_NAMESPACE = 'istio.io/use-waypoint-namespace';
const GATEWAY_NAME = 'gateway.networking.k8s.io/gateway-name';
const MANAGED = 'gateway.istio.io/managed';
const MESH_CONTROLLER = 'istio.io-mesh-controller';

export interface NamedWaypoint {
  readonly name: string;
  readonly namespace: string;
}

export type WaypointResolution =
  | { readonly kind: 'none' }
  | { readonly kind: 'found'; readonly waypoint: NamedWaypoint }
  /**
   * Named but not in the input, or a Gateway whose status has no addresses yet (unprogrammed): istiod
   * reports it not ready and attaches nothing.
   */
  | {
      readonly kind: 'missing';
      readonly waypoint: NamedWaypoint;
      readonly from: 'object' | 'namespace';
      readonly unprogrammed?: boolean;
    }
  /** Found, but its HBONE listener's allowedRoutes does not admit the subject's namespace. */
  | {
      readonly kind: 'denied';
      readonly waypoint: NamedWaypoint;
      readonly from: 'object' | 'namespace';
      readonly allowedRoutes: WaypointGateway['allowedRoutes'];
    }
  /** Found, but its istio.io/waypoint-for does not take this kind of traffic. */
  | {
      readonly kind: 'wrong-traffic';
      readonly waypoint: NamedWaypoint;
      readonly trafficType: string;
      readonly from: 'object' | 'namespace';
    };

/** GetUseWaypoint: the named waypoint, or "none" (an explicit opt-out), or nothing. */
export function useWaypoint(labels: Labels, defaultNamespace: string): NamedWaypoint | 'none' | undefined {
  const name = labels[USE_WAYPOINT];
  if (name === undefined) return undefined;
  if (name === 'none') return 'none';
  return { name, namespace: labels[USE_WAYPOINT_NAMESPACE] ?? defaultNamespace };
}

interface KnownWaypoint {
  /** undefined when only the waypoint's pods are known. */
  readonly trafficType?: string;
  readonly gateway?: WaypointGateway;
}

export class WaypointIndex {
  /** namespace/name → what is known of the waypoint. */
  private readonly waypoints = new Map<string, KnownWaypoint>();

  constructor(gateways: readonly WaypointGateway[], workloads: readonly Workload[]) {
    for (const g of gateways)
      this.waypoints.set(`${g.meta.namespace}/${g.meta.name}`, {
        trafficType: g.trafficType ?? 'service',
        gateway: g,
      });
    for (const w of workloads) {
      const name = w.podLabels[GATEWAY_NAME];
      const key = `${w.meta.namespace}/${name}`;
      if (name && w.podLabels[MANAGED] === MESH_CONTROLLER && !this.waypoints.has(key))
        this.waypoints.set(key, {});
    }
  }

  /** fetchWaypointForService (traffic "service") or fetchWaypointForWorkload (traffic "workload"). */
  resolve(
    objectLabels: Labels,
    namespace: string,
    namespaceLabels: Labels | undefined,
    traffic: 'service' | 'workload',
  ): WaypointResolution {
    // A waypoint's own Service never has a waypoint.
    if (traffic === 'service' && objectLabels[MANAGED] === MESH_CONTROLLER) return { kind: 'none' };
    const own = useWaypoint(objectLabels, namespace);
    if (own === 'none') return { kind: 'none' };
    const from = own ? 'object' : 'namespace';
    const named = own ?? useWaypoint(namespaceLabels ?? {}, namespace);
    if (named === undefined || named === 'none') return { kind: 'none' };
    const known = this.waypoints.get(`${named.namespace}/${named.name}`);
    if (!known) return { kind: 'missing', waypoint: named, from };
    const gateway = known.gateway;
    if (gateway?.unprogrammed) return { kind: 'missing', waypoint: named, from, unprogrammed: true };
    // fetchWaypointForTarget checks attachment before fetchWaypointFor* checks the traffic type.
    if (gateway && !allowsAttachment(gateway, namespace, namespaceLabels ?? {}))
      return { kind: 'denied', waypoint: named, from, allowedRoutes: gateway.allowedRoutes };
    const trafficType = known.trafficType;
    if (trafficType === undefined || trafficType === 'all' || trafficType === traffic)
      return { kind: 'found', waypoint: named };
    // A workload that only inherits a service waypoint from its namespace is not an error.
    if (traffic === 'workload' && from === 'namespace') return { kind: 'none' };
    return { kind: 'wrong-traffic', waypoint: named, trafficType, from };
  }
}

/** waypoints.go AllowsAttachmentFromNamespace: whether the waypoint admits the subject's namespace. */
function allowsAttachment(gateway: WaypointGateway, namespace: string, namespaceLabels: Labels): boolean {
  const { from, selector } = gateway.allowedRoutes;
  if (from === 'All') return true;
  // LabelSelectorAsSelector(nil) selects nothing.
  if (from === 'Selector') return selector !== undefined && labelSelectorMatches(selector, namespaceLabels);
  return gateway.meta.namespace === namespace;
}
