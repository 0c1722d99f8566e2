// Destinations a client can call: Kubernetes Services and ServiceEntry hosts, with the workloads
// behind each port (the endpoints istiod would build).

import { ISTIO_TLS_MODE, TLS_MODE_LABEL } from '../snapshot/endpoint-tls-mode.js';
import { carriesMeshTraffic } from '../snapshot/mesh-protocols.js';
import type { Labels, Ref, Service, ServiceEntry, Workload } from '../snapshot/types.js';
import { resolveShortname, serviceFqdn } from './hosts.js';
import { pushTo } from './multi-map.js';
import { selectorMatches } from './selectors.js';

export interface TargetPort {
  readonly port: number;
  readonly name?: string;
  readonly protocol: string;
  readonly appProtocol?: string;
  /** Number, or a named container port resolved per backend. */
  readonly targetPort: number | string;
}

export interface ServiceTarget {
  readonly ref: Ref;
  readonly namespace: string;
  readonly host: string;
  readonly ports: readonly TargetPort[];
  /** MESH_EXTERNAL ServiceEntry: the server is outside the mesh; never auto mTLS. */
  readonly external: boolean;
  readonly headless: boolean;
  readonly backends: readonly Workload[];
  readonly service?: Service;
  readonly entry?: ServiceEntry;
}

export interface Backend {
  readonly workload: Workload;
  /** The container port this service port reaches on that workload; undefined if a named port is missing. */
  readonly targetPort?: number;
}

/** Workloads indexed by namespace and label pair, so selector matching avoids scanning every workload. */
export class WorkloadIndex {
  private readonly byNamespace = new Map<string, Workload[]>();
  private readonly byLabel = new Map<string, Workload[]>();

  constructor(workloads: readonly Workload[]) {
    for (const w of workloads) {
      const ns = w.meta.namespace;
      pushTo(this.byNamespace, ns, w);
      for (const [k, v] of Object.entries(w.podLabels)) pushTo(this.byLabel, `${ns}\u0000${k}\u0000${v}`, w);
    }
  }

  inNamespace(namespace: string): readonly Workload[] {
    return this.byNamespace.get(namespace) ?? [];
  }

  select(namespace: string, selector: Labels | undefined): Workload[] {
    if (!selector || Object.keys(selector).length === 0) return [...this.inNamespace(namespace)];
    let smallest: readonly Workload[] | undefined;
    for (const [k, v] of Object.entries(selector)) {
      const candidates = this.byLabel.get(`${namespace}\u0000${k}\u0000${v}`) ?? [];
      if (!smallest || candidates.length < smallest.length) smallest = candidates;
    }
    return (smallest ?? []).filter((w) => selectorMatches(selector, w.podLabels));
  }
}

export function serviceTargets(
  services: readonly Service[],
  entries: readonly ServiceEntry[],
  index: WorkloadIndex,
): ServiceTarget[] {
  const targets: ServiceTarget[] = [];
  for (const service of services) {
    if (service.type === 'ExternalName') continue;
    const ns = service.meta.namespace;
    targets.push({
      ref: { kind: 'Service', namespace: ns, name: service.meta.name },
      namespace: ns,
      host: serviceFqdn(service.meta.name, ns),
      ports: meshPorts(service.ports),
      external: false,
      headless: service.headless,
      // A Service without a selector has hand-made endpoints we cannot see.
      backends: service.selector ? index.select(ns, service.selector) : [],
      service,
    });
  }
  for (const entry of entries) {
    const ns = entry.meta.namespace;
    const external = entry.location === 'MESH_EXTERNAL';
    const backends = !external && entry.workloadSelector ? index.select(ns, entry.workloadSelector) : [];
    for (const host of entry.hosts) {
      targets.push({
        ref: { kind: 'ServiceEntry', namespace: ns, name: entry.meta.name },
        namespace: ns,
        host: resolveShortname(host, ns),
        ports: entry.ports
          .filter((p) => carriesMeshTraffic(p.protocol))
          .map((p) => ({
            port: p.number,
            name: p.name,
            protocol: p.protocol,
            targetPort: p.targetPort ?? p.number,
          })),
        external,
        headless: entry.resolution === 'NONE' && !external,
        backends,
        entry,
      });
    }
  }
  return targets;
}

/**
 * A Service's ports that go through the mesh (not UDP or SCTP: see carriesMeshTraffic); the same
 * array when all do, the usual case.
 */
function meshPorts(ports: readonly TargetPort[]): readonly TargetPort[] {
  return ports.every((p) => carriesMeshTraffic(p.protocol))
    ? ports
    : ports.filter((p) => carriesMeshTraffic(p.protocol));
}

export function backendsForPort(target: ServiceTarget, port: TargetPort): Backend[] {
  return target.backends.flatMap((backend) =>
    endpointsOf(backend).map((workload) => ({
      workload,
      targetPort: resolveTargetPort(workload, port.targetPort),
    })),
  );
}

const withSidecarSides = new WeakMap<Workload, Workload>();

/**
 * The endpoints a workload gives its services: one, or, when its running pods disagree about the
 * sidecar, the pods without it and the pods with it, each judged as what it is (a STRICT sidecar
 * resets plaintext that the pod beside it accepts; EDS labels each endpoint's tlsMode on its own).
 */
function endpointsOf(workload: Workload): readonly Workload[] {
  const mixed = workload.mixedPods;
  if (!mixed) return [workload];
  let sidecars = withSidecarSides.get(workload);
  if (!sidecars) {
    const shown = mixed.withSidecar.slice(0, 3).join(', ') + (mixed.withSidecar.length > 3 ? ', …' : '');
    sidecars = {
      ...workload,
      proxy: 'sidecar',
      proxyReason: `its ${mixed.withSidecar.length} running pods with an istio-proxy container (${shown})`,
      podNames: mixed.withSidecar,
      // The injector labels the pods it injects "istio" unless the template set the label
      // (injection-template.yaml `| default "istio"`); the pods without the sidecar carry that label too.
      tlsMode: workload.podLabels[TLS_MODE_LABEL] ?? ISTIO_TLS_MODE,
    };
    withSidecarSides.set(workload, sidecars);
  }
  return [workload, sidecars];
}

function resolveTargetPort(workload: Workload, targetPort: number | string): number | undefined {
  if (typeof targetPort === 'number') return targetPort;
  if (/^\d+$/.test(targetPort)) return Number(targetPort);
  return workload.ports.find((p) => p.name === targetPort)?.containerPort;
}

/** Whether the application behind a port speaks TLS itself (so TLS that reaches it is fine). */
export function portExpectsTls(port: TargetPort): boolean {
  // Asked for every judged backend: the three hints are read in place, no list is built.
  const name = (port.name ?? '').toLowerCase();
  const appProtocol = (port.appProtocol ?? '').toLowerCase();
  const protocol = (port.protocol ?? '').toLowerCase();
  if (isTlsHint(name) || isTlsHint(appProtocol) || isTlsHint(protocol)) return true;
  const plainHint = isPlainHint(name) || isPlainHint(appProtocol) || isPlainHint(protocol);
  return !plainHint && (port.port === 443 || port.targetPort === 443);
}

function isTlsHint(h: string): boolean {
  return h === 'https' || h === 'tls' || h.startsWith('https-') || h.startsWith('tls-');
}

function isPlainHint(h: string): boolean {
  return h === 'http' || h === 'http2' || h === 'grpc' || h.startsWith('http-');
}
