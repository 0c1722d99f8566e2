// Which (client, service port) pairs a set of changed objects can affect, so impact() compares outcomes
// only there instead of over the whole matrix (≈100M pairs on a large mesh). The rules follow what
// each kind of object feeds into resolution (see src/mesh/connectivity.ts):
// - server mode and auto mTLS read the backends' PeerAuthentications and labels, and backends live in
//   the target's namespace: a PeerAuthentication, workload or Namespace change in N → targets in N;
// - a workload or Namespace change also changes how those workloads call out → those clients × all;
// - a Service or ServiceEntry change → its own targets;
// - a DestinationRule in D for host h → targets h covers, seen by clients in D (client-namespace step),
//   by every client when the target lives in D (service-namespace step) or D is the root namespace;
// - a Sidecar in N (which hosts its clients' proxies see, REGISTRY_ONLY) → N's clients × all; in the
//   root namespace it is every namespace's default → every pair;
// - a VirtualService for host h (which subset, and so which subset TLS, a call reaches) → targets h covers;
// - the root namespace's PeerAuthentication or the mesh config → every pair.
// Certificates, the injector config, injection webhooks and Gateways do not change pair outcomes by
// themselves (they feed findings, or the workloads' proxies, which are compared as workloads).

import { hostCovers, resolveShortname } from '../mesh/hosts.js';
import type { ResolvedMesh } from '../mesh/resolve.js';
import { hostsOf } from '../mesh/routes.js';
import type { ServiceTarget } from '../mesh/targets.js';
import { workloadKey } from '../snapshot/types.js';
import { type ChangedObject, MESH_CONFIG_ROLE } from './changed-objects.js';

export const WORKLOAD_KINDS = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'Pod',
]);

export interface TargetScope {
  /** Every client of this target may be affected, because of these objects. */
  all?: ChangedObject[];
  /** Clients in these namespaces may be affected. */
  readonly byNamespace: Map<string, ChangedObject[]>;
}

export interface PairScope {
  /** Every pair may be affected (mesh-wide policy or mesh config changed). */
  readonly everything: ChangedObject[];
  readonly targets: Map<string, TargetScope>;
  /** These clients' calls to every target may be affected. */
  readonly clients: Map<string, ChangedObject[]>;
}

export function targetKey(t: ServiceTarget): string {
  return `${t.ref.kind}/${t.ref.namespace ?? ''}/${t.ref.name}/${t.host}`;
}

function add<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) {
    if (!list.includes(value)) list.push(value);
  } else map.set(key, [value]);
}

export function pairScope(
  before: ResolvedMesh,
  after: ResolvedMesh,
  changed: readonly ChangedObject[],
): PairScope {
  const scope: PairScope = { everything: [], targets: new Map(), clients: new Map() };
  const roots = new Set([before.rootNamespace, after.rootNamespace]);
  const allTargets = [...before.targets, ...after.targets];
  const targetsIn = new Map<string, ServiceTarget[]>();
  for (const t of allTargets) add(targetsIn, t.namespace, t);
  const entry = (t: ServiceTarget): TargetScope => {
    const key = targetKey(t);
    let s = scope.targets.get(key);
    if (!s) {
      s = { byNamespace: new Map() };
      scope.targets.set(key, s);
    }
    return s;
  };
  const everyClient = (t: ServiceTarget, cause: ChangedObject) => {
    const s = entry(t);
    s.all ??= [];
    if (!s.all.includes(cause)) s.all.push(cause);
  };
  const namespaceTargets = (ns: string, cause: ChangedObject) => {
    for (const t of targetsIn.get(ns) ?? []) everyClient(t, cause);
  };

  for (const c of changed) {
    // Another revision's mesh config is not the model's: its workloads' gap speaks for it.
    if (c.role === MESH_CONFIG_ROLE && c.revision === undefined) scope.everything.push(c);
    else if (c.role === MESH_CONFIG_ROLE) continue;
    // An AuthorizationPolicy selects servers as a PeerAuthentication does (root namespace: every one).
    else if (c.kind === 'PeerAuthentication' || c.kind === 'AuthorizationPolicy') {
      if (roots.has(c.namespace)) scope.everything.push(c);
      else namespaceTargets(c.namespace, c);
    } else if (c.kind === 'Namespace') {
      namespaceTargets(c.name, c);
      for (const mesh of [before, after])
        for (const w of mesh.workloads.inNamespace(c.name)) add(scope.clients, workloadKey(w), c);
    } else if (WORKLOAD_KINDS.has(c.kind)) {
      namespaceTargets(c.namespace, c);
      add(scope.clients, workloadKey(c), c);
    } else if (c.kind === 'Service' || c.kind === 'ServiceEntry') {
      for (const t of targetsIn.get(c.namespace) ?? [])
        if (t.ref.kind === c.kind && t.ref.name === c.name) everyClient(t, c);
    } else if (c.kind === 'DestinationRule') {
      const hosts = new Set<string>();
      for (const mesh of [before, after]) {
        for (const dr of mesh.snapshot.destinationRules)
          if (dr.meta.namespace === c.namespace && dr.meta.name === c.name)
            hosts.add(resolveShortname(dr.host, c.namespace));
      }
      for (const t of allTargets) {
        if (![...hosts].some((h) => hostCovers(h, t.host))) continue;
        if (roots.has(c.namespace) || t.namespace === c.namespace) everyClient(t, c);
        else add(entry(t).byNamespace, c.namespace, c);
      }
    } else if (c.kind === 'Sidecar') {
      if (roots.has(c.namespace)) scope.everything.push(c);
      else
        for (const mesh of [before, after])
          for (const w of mesh.workloads.inNamespace(c.namespace)) add(scope.clients, workloadKey(w), c);
    } else if (c.kind === 'VirtualService') {
      const hosts = new Set<string>();
      for (const mesh of [before, after]) {
        for (const vs of mesh.snapshot.virtualServices ?? [])
          if (vs.meta.namespace === c.namespace && vs.meta.name === c.name)
            for (const h of hostsOf(vs)) hosts.add(h);
      }
      for (const t of allTargets) if ([...hosts].some((h) => hostCovers(h, t.host))) everyClient(t, c);
    }
  }
  return scope;
}
