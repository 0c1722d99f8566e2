// Which services a client sidecar can see at all, and where a call goes when it cannot. A service the
// proxy does not import has no cluster and no listener entry: no DestinationRule, no auto mTLS; the
// call falls to the catch-all (PassthroughCluster, plaintext, or BlackHoleCluster).
// Follows istio/istio:
// - pilot/pkg/serviceregistry/kube/conversion.go ConvertService (annotation networking.istio.io/exportTo)
//   and pilot/pkg/model/push_context.go serviceExportTo / initServiceRegistry (the default from
//   meshConfig.defaultServiceExportTo; `*` public, `~` hidden, `.` or the own namespace private, else
//   the named namespaces);
// - pilot/pkg/model/push_context.go initSidecarScopes / doGetSidecarScope (selector Sidecars first, then
//   the oldest; else the root namespace's selector-less Sidecar; else import everything visible);
// - pilot/pkg/model/sidecar.go convertIstioListenerToWrapper, selectServices, matchingService,
//   needsPortMatch (egress hosts `namespace/dnsName`, `.`, `*`, `~` exclusions, port-bound listeners);
// - sidecar.go initSidecarScopeInternalIndexes (the Sidecar's outboundTrafficPolicy, else the mesh's),
//   pilot/pkg/networking/core/httproute.go buildCatchAllVirtualHost and listener_builder.go (ALLOW_ANY:
//   PassthroughCluster; REGISTRY_ONLY: BlackHoleCluster, a 502 on HTTP ports).
import type { Labels, MeshConfig, OutboundTrafficPolicyMode, SidecarResource } from '../snapshot/types.js';
import { hostCovers, isWildcard } from './hosts.js';
import { selectorMatches } from './selectors.js';
import { compareByAge } from './server-mode.js';
import type { ServiceTarget } from './targets.js';

export type HiddenBy = 'export-to' | 'sidecar-egress';

export interface Visibility {
  readonly visible: boolean;
  /** Why the client cannot see the service (undefined when it can). */
  readonly hiddenBy?: HiddenBy;
  /** The exportTo list that applied (the service's own, else the mesh default). */
  readonly exportTo: readonly string[];
  readonly exportToFromMesh: boolean;
  /** The Sidecar resource that scopes the client (its own namespace's, or the root namespace's). */
  readonly sidecar?: SidecarResource;
  readonly outboundPolicy: OutboundTrafficPolicyMode;
  /** Whether the outbound policy came from the Sidecar (else meshConfig). */
  readonly outboundPolicyFromSidecar: boolean;
  /** The client is a gateway: no Sidecar scope and no catch-all, a hidden service has no route target. */
  readonly gateway?: boolean;
}

export class ServiceVisibility {
  /** Per namespace, selector Sidecars first, then by age (initSidecarScopes). */
  private readonly byNamespace = new Map<string, SidecarResource[]>();
  readonly rootSidecar?: SidecarResource;

  constructor(
    sidecars: readonly SidecarResource[],
    private readonly meshConfig: MeshConfig,
  ) {
    const sorted = [...sidecars].sort((a, b) => {
      if (!!a.workloadSelector !== !!b.workloadSelector) return a.workloadSelector ? -1 : 1;
      return compareByAge(a, b);
    });
    for (const s of sorted) {
      const list = this.byNamespace.get(s.meta.namespace) ?? [];
      list.push(s);
      this.byNamespace.set(s.meta.namespace, list);
    }
    this.rootSidecar = sorted.find(
      (s) => s.meta.namespace === meshConfig.rootNamespace && !s.workloadSelector,
    );
  }

  /** Namespaces whose proxies have a Sidecar of their own (with or without selector). */
  namespacesWithSidecars(): IterableIterator<string> {
    return this.byNamespace.keys();
  }

  /** A Sidecar with a workloadSelector lives here: clients of this namespace differ one by one. */
  hasSelectorSidecars(namespace: string): boolean {
    return (this.byNamespace.get(namespace) ?? []).some((s) => s.workloadSelector);
  }

  /** The Sidecar a proxy in `namespace` with `labels` uses (doGetSidecarScope), if any. */
  sidecarFor(namespace: string, labels: Labels | undefined): SidecarResource | undefined {
    for (const s of this.byNamespace.get(namespace) ?? []) {
      if (!s.workloadSelector) return s;
      if (labels && selectorMatches(s.workloadSelector, labels)) return s;
    }
    return this.rootSidecar;
  }

  /** The exportTo that applies to a service (serviceExportTo): its own, else the mesh default, else `*`. */
  exportToOf(target: ServiceTarget): { exportTo: readonly string[]; fromMesh: boolean } {
    const own = target.service?.exportTo ?? target.entry?.exportTo ?? [];
    if (own.length > 0) return { exportTo: own, fromMesh: false };
    const fromMesh = this.meshConfig.defaultServiceExportTo;
    return fromMesh?.length ? { exportTo: fromMesh, fromMesh: true } : { exportTo: ['*'], fromMesh: false };
  }

  /** Whether the service is exported only to some namespaces (so clients differ by namespace). */
  isRestricted(target: ServiceTarget): boolean {
    return !this.exportToOf(target).exportTo.includes('*');
  }

  /** initServiceRegistry: `*` wins over everything, then `~` hides the service from all. */
  exportedTo(target: ServiceTarget, clientNamespace: string): boolean {
    const { exportTo } = this.exportToOf(target);
    if (exportTo.includes('*')) return true;
    if (exportTo.includes('~')) return false;
    return exportTo.some((e) =>
      e === '.' || e === target.namespace ? clientNamespace === target.namespace : e === clientNamespace,
    );
  }

  /**
   * What a gateway in `namespace` sees: every service exported to its namespace
   * (sidecar.go DefaultSidecarScopeForGateway: servicesExportedToNamespace), Sidecar resources aside.
   */
  forGatewayClient(namespace: string, target: ServiceTarget): Visibility {
    const { exportTo, fromMesh } = this.exportToOf(target);
    const visible = this.exportedTo(target, namespace);
    return {
      visible,
      ...(visible ? {} : { hiddenBy: 'export-to' as const }),
      exportTo,
      exportToFromMesh: fromMesh,
      outboundPolicy: 'REGISTRY_ONLY',
      outboundPolicyFromSidecar: false,
      gateway: true,
    };
  }

  /** What a sidecar client in `namespace` (with `labels`) sees of `target:port`. */
  forSidecarClient(
    namespace: string,
    labels: Labels | undefined,
    target: ServiceTarget,
    port: number,
  ): Visibility {
    // Without any Sidecar resource, a service exported everywhere looks the same from every client:
    // one answer per target instead of one per pair.
    const noSidecars = this.byNamespace.size === 0 && !this.rootSidecar;
    if (noSidecars) {
      const cached = this.seenByEveryClient.get(target);
      if (cached) return cached;
    }
    const { exportTo, fromMesh } = this.exportToOf(target);
    const sidecar = this.sidecarFor(namespace, labels);
    const outboundPolicy =
      sidecar?.outboundTrafficPolicy ?? this.meshConfig.outboundTrafficPolicy ?? ('ALLOW_ANY' as const);
    const outboundPolicyFromSidecar = !!sidecar?.outboundTrafficPolicy;
    // Literals with the keys in one order rather than spreads of a shared base (V8's slow path).
    const hiddenBy: HiddenBy | undefined = !this.exportedTo(target, namespace)
      ? 'export-to'
      : sidecar && !imports(sidecar, namespace, target, port)
        ? 'sidecar-egress'
        : undefined;
    if (hiddenBy)
      return {
        exportTo,
        exportToFromMesh: fromMesh,
        sidecar,
        outboundPolicy,
        outboundPolicyFromSidecar,
        visible: false,
        hiddenBy,
      };
    const visible: Visibility = {
      exportTo,
      exportToFromMesh: fromMesh,
      sidecar,
      outboundPolicy,
      outboundPolicyFromSidecar,
      visible: true,
    };
    if (noSidecars && exportTo.includes('*')) this.seenByEveryClient.set(target, visible);
    return visible;
  }

  private readonly seenByEveryClient = new WeakMap<ServiceTarget, Visibility>();
}

interface HostClassification {
  readonly hosts: string[];
  readonly excluded: string[];
}

/**
 * Whether some egress listener of the Sidecar imports `target` on `port` (convertIstioListenerToWrapper,
 * selectServices). A listener bound to a port imports only that port of a service (needsPortMatch,
 * serviceMatchingListenerPort), except for the HTTP_PROXY protocol.
 */
export function imports(
  sidecar: SidecarResource,
  configNamespace: string,
  target: ServiceTarget,
  port: number,
): boolean {
  const listeners = sidecar.egress.length > 0 ? sidecar.egress : [{ hosts: ['*/*'] }];
  return listeners.some((listener) => {
    const l = listener as { port?: number; protocol?: string; hosts: readonly string[] };
    const matchPort = !!l.port && l.protocol?.toUpperCase() !== 'HTTP_PROXY';
    if (matchPort && l.port !== port) return false;
    return listenerImports(classify(l.hosts, configNamespace), target);
  });
}

function classify(hosts: readonly string[], configNamespace: string): Map<string, HostClassification> {
  const byNamespace = new Map<string, HostClassification>();
  for (const h of hosts) {
    // "Illegal host in sidecar resource": exactly one slash, namespace/dnsName; others are skipped.
    if (h.split('/').length !== 2) continue;
    let [ns = '', name = ''] = h.split('/');
    const excluded = ns.startsWith('~');
    if (excluded) ns = ns.slice(1) || '*';
    if (ns === '.') ns = configNamespace;
    const entry = byNamespace.get(ns) ?? { hosts: [], excluded: [] };
    (excluded ? entry.excluded : entry.hosts).push(name);
    byNamespace.set(ns, entry);
  }
  return byNamespace;
}

function listenerImports(byNamespace: Map<string, HostClassification>, target: ServiceTarget): boolean {
  const own = byNamespace.get(target.namespace);
  const any = byNamespace.get('*');
  const host = target.host;
  if (own?.excluded.some((e) => covers(e, host)) || any?.excluded.some((e) => covers(e, host))) return false;
  return !!own?.hosts.some((h) => covers(h, host)) || !!any?.hosts.some((h) => covers(h, host));
}

/** hostClassification.Matches for an exact service host: equal, or under an imported wildcard. */
function covers(imported: string, host: string): boolean {
  return isWildcard(imported) ? hostCovers(imported, host) : imported === host;
}
