// Client sidecars that cannot see a service (its exportTo, or their Sidecar's egress hosts) build no
// cluster for it: the call falls to the catch-all of outboundTrafficPolicy (mesh/visibility.ts).
// ALLOW_ANY: PassthroughCluster, plaintext, no DestinationRule or auto mTLS, so a STRICT server resets
// it. REGISTRY_ONLY: BlackHoleCluster, the call never leaves the client pod.
import type { Visibility } from '../mesh/visibility.js';
import type { Ref } from '../snapshot/types.js';
import type { FindingCode } from './catalogue.js';
import {
  affectedNamespaces,
  describeClients,
  type Failure,
  failuresWithReason,
  groupBy,
  targetName,
} from './connectivity-failures.js';
import { describeBackendServer, firstSymptom } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';

const CODES = ['service-not-visible-passthrough', 'service-not-visible-blackhole'] as const;

export const serviceNotVisible: Analyzer = {
  name: 'ServiceNotVisible',
  codes: CODES,
  analyze(mesh) {
    const findings: Finding[] = [];
    for (const code of CODES) {
      const failures = failuresWithReason(mesh, code).filter((f) => f.outcome.hidden);
      const byCause = groupBy(failures, (f) => `${targetName(f.target, f.port)}#${causeKey(f)}`);
      for (const group of byCause.values()) {
        const first = group[0];
        const hidden = first?.outcome.hidden;
        if (!first || !hidden) continue;
        const cause = describeCause(first, hidden);
        const clients = describeClients(group);
        const target = targetName(first.target, first.port);
        const backend = first.backends[0];
        const message =
          code === 'service-not-visible-passthrough'
            ? `${clients} cannot see ${target} (${cause.short}), so their sidecars have no cluster for it: with outboundTrafficPolicy ALLOW_ANY the call leaves through PassthroughCluster as plaintext, without DestinationRule or auto mTLS, and the STRICT server resets it. Callers see: ${firstSymptom(group)}.`
            : hidden.gateway
              ? `Gateway ${clients} cannot see ${target} (${cause.short}), so it has no cluster for it and cannot route there. Callers see: ${firstSymptom(group)}.`
              : `${clients} cannot see ${target} (${cause.short}) and their outboundTrafficPolicy is REGISTRY_ONLY: their sidecars send the call to BlackHoleCluster. Callers see: ${firstSymptom(group)}.`;
        findings.push(
          finding({
            code: code as FindingCode,
            message,
            why: [
              cause.why,
              describePolicy(hidden),
              ...(backend && code === 'service-not-visible-passthrough'
                ? [describeBackendServer(backend)]
                : []),
            ],
            fix: cause.fix,
            resource: cause.resource,
            location: cause.location,
            path: cause.path,
            related: [first.target.ref],
            namespaces: affectedNamespaces(mesh, group),
          }),
        );
      }
    }
    return findings;
  },
};

function causeKey(f: Failure): string {
  const h = f.outcome.hidden;
  if (!h) return '';
  return h.hiddenBy === 'sidecar-egress'
    ? `sidecar:${h.sidecar?.meta.namespace}/${h.sidecar?.meta.name}`
    : 'export';
}

interface Cause {
  readonly short: string;
  readonly why: string;
  readonly fix: string;
  readonly resource: Ref;
  readonly location?: { file: string; line: number };
  readonly path?: string;
}

function describeCause(f: Failure, hidden: Visibility): Cause {
  const namespaces = f.group.namespaces().join(', ') || 'the clients';
  const host = f.target.host;
  if (hidden.hiddenBy === 'sidecar-egress' && hidden.sidecar) {
    const s = hidden.sidecar;
    const hosts = s.egress.flatMap((e) => e.hosts.map((h) => (e.port ? `${h} (port ${e.port})` : h)));
    return {
      short: `Sidecar ${s.meta.namespace}/${s.meta.name} does not import it`,
      why: `Sidecar ${s.meta.namespace}/${s.meta.name} scopes these clients (${s.workloadSelector ? 'its workloadSelector matches them' : s.meta.namespace === f.group.namespaces()[0] ? 'the selector-less Sidecar of their namespace' : "the root namespace's selector-less Sidecar, used by namespaces without their own"}); its egress hosts ${hosts.join(', ')} do not match ${f.target.namespace}/${host}${f.port ? ` on port ${f.port.port}` : ''} (sidecar.go selectServices: namespace/dnsName, "." is the client's namespace, a port-bound listener imports only that port).`,
      fix: `Add "${f.target.namespace}/${host}" to spec.egress[].hosts of Sidecar ${s.meta.namespace}/${s.meta.name} (on a listener without a port, or with port ${f.port.port}).`,
      resource: { kind: 'Sidecar', namespace: s.meta.namespace, name: s.meta.name },
      location: s.meta.source,
      path: 'spec.egress',
    };
  }
  const list = hidden.exportTo.join(',');
  const service = f.target.service;
  const fromMesh = hidden.exportToFromMesh;
  const why = fromMesh
    ? `${f.target.ref.kind} ${f.target.namespace}/${f.target.ref.name} sets no exportTo, so meshConfig.defaultServiceExportTo [${list}] applies; it does not include ${namespaces} ("." is the service's own namespace, "~" no namespace).`
    : `${f.target.ref.kind} ${f.target.namespace}/${f.target.ref.name} is exported to [${list}] (${service ? 'annotation networking.istio.io/exportTo' : 'spec.exportTo'}), which does not include ${namespaces} ("." is the service's own namespace, "~" no namespace).`;
  const fix = service
    ? `Add the client namespaces to the annotation networking.istio.io/exportTo of Service ${f.target.namespace}/${f.target.ref.name} (or remove it to use the mesh default).`
    : `Add the client namespaces to spec.exportTo of ServiceEntry ${f.target.namespace}/${f.target.ref.name}.`;
  return {
    short: `it is not exported to ${namespaces}`,
    why,
    fix,
    resource: f.target.ref,
    location: (service ?? f.target.entry)?.meta.source,
    path: service ? 'metadata.annotations' : 'spec.exportTo',
  };
}

function describePolicy(hidden: Visibility): string {
  if (hidden.gateway)
    return 'Gateways are not scoped by Sidecar resources but see only services exported to their namespace (sidecar.go DefaultSidecarScopeForGateway), and have no catch-all: the route keeps a cluster name the gateway does not have.';
  const where = hidden.outboundPolicyFromSidecar
    ? `Sidecar ${hidden.sidecar?.meta.namespace}/${hidden.sidecar?.meta.name} sets outboundTrafficPolicy ${hidden.outboundPolicy}`
    : `outboundTrafficPolicy is ${hidden.outboundPolicy} (meshConfig${hidden.sidecar ? `; Sidecar ${hidden.sidecar.meta.namespace}/${hidden.sidecar.meta.name} sets none` : ''})`;
  return hidden.outboundPolicy === 'REGISTRY_ONLY'
    ? `${where}: calls to services outside the sidecar's scope go to BlackHoleCluster (httproute.go buildCatchAllVirtualHost: a 502 on HTTP listeners, a reset on TCP).`
    : `${where}: calls to services outside the sidecar's scope go to PassthroughCluster, an ORIGINAL_DST cluster without a transport socket (cluster_builder.go buildDefaultPassthroughCluster), so no mTLS.`;
}
