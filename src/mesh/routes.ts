// Which DestinationRule subsets a sidecar client actually reaches when it calls a service port: the
// destinations of the VirtualService that owns the host for that client. Each subset is its own
// cluster with the subset's TLS (cluster_builder.go buildSubsetCluster, util.go MergeSubsetTrafficPolicy).
// Follows istio/istio:
// - pilot/pkg/model/push_context.go initVirtualServices (short names resolved against the
//   VirtualService's namespace; exportTo, default `*`; `gateways` empty means `mesh`);
// - pilot/pkg/model/virtualservice.go SelectVirtualServices (private to the client's namespace first,
//   then exported to it, then public; each oldest first);
// - pilot/pkg/networking/core/route/route.go BuildSidecarVirtualHostWrapper / separateVSHostsAndServices
//   and httproute.go (one virtual host per domain: the first VirtualService for an exact host wins; a
//   wildcard host only takes services no exact one owns, the most specific wildcard first).
// Matches other than the port (headers, URIs, weights) are not evaluated: every route that can take
// the port counts as reached.
import type { VirtualService, VirtualServiceRoute } from '../snapshot/types.js';
import { compareSpecificity, hostCovers, isWildcard, resolveShortname } from './hosts.js';
import { compareByAge } from './server-mode.js';
import type { ServiceTarget } from './targets.js';

export interface RouteChoice {
  readonly virtualService: VirtualService;
  /** Subsets the client's calls to this host and port reach; undefined stands for the whole service. */
  readonly subsets: readonly (string | undefined)[];
}

const MESH = 'mesh';

export class VirtualServiceIndex {
  private readonly sorted: readonly VirtualService[];

  constructor(virtualServices: readonly VirtualService[]) {
    this.sorted = [...virtualServices]
      .filter((vs) => vs.gateways.length === 0 || vs.gateways.includes(MESH))
      .sort(compareByAge);
  }

  get isEmpty(): boolean {
    return this.sorted.length === 0;
  }

  /** Namespaces that see a VirtualService others do not (its own, and those it names in exportTo). */
  namespacesWithPrivateRoutes(): Set<string> {
    const found = new Set<string>();
    for (const vs of this.sorted) {
      if (isPublic(vs)) continue;
      found.add(vs.meta.namespace);
      for (const e of vs.exportTo) if (e !== '.' && e !== '~') found.add(e);
    }
    return found;
  }

  /** The VirtualService a sidecar in `clientNamespace` uses for the host, and the subsets it reaches on `port`. */
  reached(clientNamespace: string, target: ServiceTarget, port: number): RouteChoice | undefined {
    const vs = this.owner(clientNamespace, target.host);
    if (!vs) return undefined;
    const subsets = new Set<string | undefined>();
    for (const route of vs.routes) {
      if (!takesPort(route, port)) continue;
      for (const d of route.destinations) {
        if (resolveShortname(d.host, vs.meta.namespace) !== target.host) continue;
        // A destination port other than the called one sends traffic to another port's cluster.
        if (d.port !== undefined && d.port !== port && target.ports.length > 1) continue;
        subsets.add(d.subset);
      }
    }
    return subsets.size > 0 ? { virtualService: vs, subsets: [...subsets] } : undefined;
  }

  private owner(clientNamespace: string, host: string): VirtualService | undefined {
    const visible = [
      ...this.sorted.filter((vs) => privateTo(vs, clientNamespace)),
      ...this.sorted.filter((vs) => exportedTo(vs, clientNamespace)),
      ...this.sorted.filter((vs) => isPublic(vs)),
    ];
    const exact = visible.find((vs) => hostsOf(vs).some((h) => !isWildcard(h) && h === host));
    if (exact) return exact;
    let best: { vs: VirtualService; pattern: string } | undefined;
    for (const vs of visible) {
      for (const h of hostsOf(vs)) {
        if (!isWildcard(h) || !hostCovers(h, host)) continue;
        if (!best || compareSpecificity(h, best.pattern) < 0) best = { vs, pattern: h };
      }
    }
    return best?.vs;
  }
}

/** The hosts a VirtualService names, lowercased and resolved against its namespace, as istiod does. */
export function hostsOf(vs: VirtualService): string[] {
  return vs.hosts.map((h) => resolveShortname(h.toLowerCase(), vs.meta.namespace));
}

function isPublic(vs: VirtualService): boolean {
  return vs.exportTo.length === 0 || vs.exportTo.includes('*');
}

/** In the client's namespace and exported to it ("." or its name): privateByNamespaceAndGateway. */
function privateTo(vs: VirtualService, namespace: string): boolean {
  return (
    !isPublic(vs) &&
    vs.meta.namespace === namespace &&
    (vs.exportTo.includes('.') || vs.exportTo.includes(namespace))
  );
}

/** Another namespace's, exported by name to the client's: exportedToNamespaceByGateway. */
function exportedTo(vs: VirtualService, namespace: string): boolean {
  return !isPublic(vs) && vs.meta.namespace !== namespace && vs.exportTo.includes(namespace);
}

function takesPort(route: VirtualServiceRoute, port: number): boolean {
  return route.ports === undefined || route.ports.includes(port);
}
