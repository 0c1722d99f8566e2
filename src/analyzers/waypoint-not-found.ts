// istio.io/use-waypoint naming a waypoint that istiod will not attach (mesh/waypoints.ts): one that is
// not in the input (or not programmed yet), one whose HBONE listener does not admit the subject's
// namespace, or one whose istio.io/waypoint-for does not take that kind of traffic. Traffic then goes
// straight to the pods: mTLS still works (ztunnel's HBONE), the waypoint's L7 policy is not applied.
import { WaypointIndex, type WaypointResolution } from '../mesh/waypoints.js';
import type { RemediationPlan } from '../remediation/plans.js';
import { createCommand } from '../remediation/plans.js';
import type { Labels, Ref, SourceLocation } from '../snapshot/types.js';
import { type Analyzer, type Finding, finding } from './finding.js';

interface Subject {
  readonly ref: Ref;
  readonly location?: SourceLocation;
  readonly what: string;
  readonly resolution: WaypointResolution;
}

export const waypointNotFound: Analyzer = {
  name: 'WaypointNotFound',
  codes: ['waypoint-not-found', 'waypoint-attachment-denied', 'waypoint-traffic-type'],
  analyze(mesh) {
    const snapshot = mesh.snapshot;
    // Only a source that reads Gateways can tell that one is missing.
    if (!snapshot.waypointGateways) return [];
    const index = new WaypointIndex(snapshot.waypointGateways, snapshot.workloads);
    const nsLabels = new Map(snapshot.namespaces.map((n) => [n.name, n.labels]));
    const subjects: Subject[] = [];
    for (const ns of snapshot.namespaces) {
      // The namespace's label, judged for the Services that inherit it.
      const resolution = index.resolve({}, ns.name, ns.labels, 'service');
      subjects.push({
        ref: { kind: 'Namespace', name: ns.name },
        location: ns.source,
        what: `namespace ${ns.name}`,
        resolution,
      });
    }
    for (const s of snapshot.services) {
      const resolution = index.resolve(
        s.meta.labels,
        s.meta.namespace,
        nsLabels.get(s.meta.namespace),
        'service',
      );
      if (resolution.kind !== 'none' && resolution.kind !== 'found' && resolution.from === 'object')
        subjects.push({
          ref: { kind: 'Service', namespace: s.meta.namespace, name: s.meta.name },
          location: s.meta.source,
          what: `Service ${s.meta.namespace}/${s.meta.name}`,
          resolution,
        });
    }
    for (const w of snapshot.workloads) {
      if (w.proxy !== 'ambient') continue;
      const resolution = index.resolve(
        w.podLabels,
        w.meta.namespace,
        nsLabels.get(w.meta.namespace),
        'workload',
      );
      if (resolution.kind !== 'none' && resolution.kind !== 'found' && resolution.from === 'object')
        subjects.push({
          ref: { kind: w.kind, namespace: w.meta.namespace, name: w.meta.name },
          location: w.meta.source,
          what: `${w.kind} ${w.meta.namespace}/${w.meta.name}`,
          resolution,
        });
    }
    return subjects.flatMap((s) => toFinding(s));
  },
};

function toFinding(subject: Subject): Finding[] {
  const r = subject.resolution;
  if (r.kind === 'none' || r.kind === 'found') return [];
  const wp = `${r.waypoint.namespace}/${r.waypoint.name}`;
  const effect =
    'istiod attaches no waypoint, so ztunnel sends the traffic straight to the pods: mTLS still holds (HBONE), but the L7 policy the waypoint was meant to apply (AuthorizationPolicies that target it, HTTP routing) does not.';
  const path = `metadata.labels.istio.io/use-waypoint`;
  const related = [{ kind: 'Gateway', namespace: r.waypoint.namespace, name: r.waypoint.name }];
  const subjectNamespace =
    subject.ref.kind === 'Namespace' ? subject.ref.name : (subject.ref.namespace ?? '');
  if (r.kind === 'missing' && r.unprogrammed) {
    return [
      finding({
        code: 'waypoint-not-found',
        message: `${subject.what} uses waypoint ${wp} (label istio.io/use-waypoint), whose Gateway is not programmed yet (its status has no addresses): ${effect}`,
        why: [
          'waypoints.go gatewayToWaypointTransform ignores a Gateway until status.addresses is set, which happens once its waypoint deployment has a ready pod; until then istiod reports the waypoint not ready and attaches nothing (fetchWaypointForTarget).',
        ],
        fix: `Check why Gateway ${wp} is not programmed (kubectl get gateway ${r.waypoint.name} -n ${r.waypoint.namespace} -o yaml: its conditions, and its waypoint pods).`,
        resource: subject.ref,
        location: subject.location,
        path,
        related,
      }),
    ];
  }
  if (r.kind === 'missing') {
    return [
      finding({
        code: 'waypoint-not-found',
        message: `${subject.what} uses waypoint ${wp} (label istio.io/use-waypoint), which is not in the input: ${effect}`,
        why: [
          'waypoints.go fetchWaypointForTarget reads the label on the object first, then on its namespace ("none" opts out); a named waypoint istiod cannot find is reported not ready and nothing is attached — there is no fallback to the namespace waypoint.',
          'istiod finds waypoints among Kubernetes Gateways (usually gatewayClassName istio-waypoint); neither such a Gateway nor pods labelled gateway.istio.io/managed=istio.io-mesh-controller with that gateway name are in the input.',
        ],
        fix: `Create the waypoint (istioctl waypoint apply -n ${r.waypoint.namespace} --name ${r.waypoint.name}${r.waypoint.namespace !== subjectNamespace ? ', then let other namespaces attach: allowedRoutes.namespaces.from All or Selector on its HBONE listener' : ''}), or correct the label.`,
        resource: subject.ref,
        location: subject.location,
        path,
        related,
        remediations: [
          createWaypoint(
            r.waypoint.namespace,
            r.waypoint.name,
            subject.ref.kind === 'Namespace' || subject.ref.kind === 'Service' ? 'service' : 'workload',
            subjectNamespace,
          ),
        ],
      }),
    ];
  }
  if (r.kind === 'denied') {
    const admits =
      r.allowedRoutes.from === 'Selector'
        ? 'namespaces whose labels match its allowedRoutes selector'
        : `its own namespace ${r.waypoint.namespace} (allowedRoutes.namespaces.from ${r.allowedRoutes.from === 'Same' ? 'Same, the default' : r.allowedRoutes.from})`;
    return [
      finding({
        code: 'waypoint-attachment-denied',
        message: `${subject.what} uses waypoint ${wp}, but the waypoint's HBONE listener admits only ${admits}, not namespace ${subjectNamespace}: ${effect}`,
        why: [
          'waypoints.go fetchWaypointForTarget attaches a found waypoint only if AllowsAttachmentFromNamespace(OrLookup) admits the subject\'s namespace, else it reports ReportWaypointAttachmentDenied; makeAllowedRoutes takes allowedRoutes.namespaces of the HBONE listener (port 15008), "Same" when it is absent.',
        ],
        fix: `On Gateway ${wp}, set the HBONE listener's allowedRoutes.namespaces to from: All, or from: Selector with a selector that matches namespace ${subjectNamespace} (e.g. kubernetes.io/metadata.name: ${subjectNamespace}); or use a waypoint in ${subjectNamespace}.`,
        resource: subject.ref,
        location: subject.location,
        path,
        related,
      }),
    ];
  }
  // A namespace's label also applies to its pods, and fetchWaypointForWorkload takes a "workload" waypoint:
  // only the Services bypass it. ztunnel uses a pod's waypoint for traffic addressed to the pod itself
  // (istio/ztunnel src/proxy/outbound.rs: the workload's waypoint when no Service is involved).
  const podsStillUseIt = subject.ref.kind === 'Namespace' && r.trafficType === 'workload';
  const trafficEffect = podsStillUseIt
    ? `istiod attaches it to the namespace's pods but to none of its Services, so traffic to the Services goes straight to the pods: mTLS still holds (HBONE), but the waypoint's L7 policy (AuthorizationPolicies that target it, HTTP routing) does not apply to it. Only traffic addressed to a pod directly (its IP, no Service) passes through the waypoint.`
    : effect;
  return [
    finding({
      code: 'waypoint-traffic-type',
      message: `${subject.what} uses waypoint ${wp}, but that waypoint is for "${r.trafficType}" traffic (istio.io/waypoint-for): ${trafficEffect}`,
      why: [
        'waypoints.go fetchWaypointForService accepts a waypoint for "service" or "all" traffic, fetchWaypointForWorkload one for "workload" or "all"; a Gateway without istio.io/waypoint-for is for "service".',
        ...(podsStillUseIt
          ? [
              "The namespace's label is read for its pods too (fetchWaypointForWorkload), so they keep the waypoint; ztunnel sends to a pod's waypoint only traffic addressed to the pod, not to a Service (ztunnel src/proxy/outbound.rs).",
            ]
          : []),
      ],
      fix: `Label Gateway ${wp} istio.io/waypoint-for=all (or the traffic it should take), or point the label at a waypoint for that traffic.`,
      resource: subject.ref,
      location: subject.location,
      path,
      related,
    }),
  ];
}

/**
 * What `istioctl waypoint generate` writes: a Gateway of class istio-waypoint with the HBONE listener.
 * For a subject in another namespace the listener must admit it (allowedRoutes "Same" by default,
 * waypoints.go makeWaypointSelector), so it gets allowedRoutes.namespaces.from All.
 */
function createWaypoint(
  namespace: string,
  name: string,
  trafficType: string,
  subjectNamespace: string,
): RemediationPlan {
  const labels: Labels = { 'istio.io/waypoint-for': trafficType };
  const crossNamespace = subjectNamespace !== namespace;
  const object = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace, labels },
    spec: {
      gatewayClassName: 'istio-waypoint',
      listeners: [
        {
          name: 'mesh',
          port: 15008,
          protocol: 'HBONE',
          ...(crossNamespace ? { allowedRoutes: { namespaces: { from: 'All' } } } : {}),
        },
      ],
    },
  };
  return {
    id: `create-waypoint:Gateway/${namespace}/${name}`,
    title: `Create waypoint ${namespace}/${name}`,
    risk: `Traffic that names this waypoint starts to pass through it, and its L7 policies start to apply.${crossNamespace ? ' Its listener admits every namespace (allowedRoutes from All), so any namespace can label itself to use it; narrow it to a Selector if that matters.' : ''}`,
    action: 'create',
    target: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', namespace, name },
    body: object,
    kubectl: createCommand(object),
    // The bot is not granted Gateways: run by hand.
    manual: true,
  };
}
