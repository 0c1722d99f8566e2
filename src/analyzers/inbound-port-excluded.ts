// A port excluded from the sidecar's inbound capture: the app receives traffic directly, so STRICT is not
// enforced there, while auto mTLS still sends mTLS to it (EDS labels the endpoint tlsMode=istio).
import type { Workload } from '../snapshot/types.js';
import {
  affectedNamespaces,
  describeClients,
  failuresWithReason,
  groupBy,
  workloadName,
} from './connectivity-failures.js';
import { describeTargets, firstSymptom } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';

export const inboundPortExcluded: Analyzer = {
  name: 'InboundPortExcluded',
  codes: ['inbound-port-excluded'],
  analyze(mesh) {
    const failures = failuresWithReason(mesh, 'inbound-port-excluded');
    const findings: Finding[] = [];
    for (const group of groupBy(failures, (f) => workloadKey(f.backends[0]?.backend?.workload)).values()) {
      const first = group[0];
      const workload = first?.backends[0]?.backend?.workload;
      const port = first?.backends[0]?.backend?.targetPort;
      if (!first || !workload) continue;
      findings.push(
        finding({
          code: 'inbound-port-excluded',
          message: `Port ${port} of ${workloadName(workload)} bypasses its sidecar, yet ${describeClients(group)} send mTLS to it (${describeTargets(group)}): the app gets TLS bytes it cannot read, and STRICT is not enforced on that port. Callers see: ${firstSymptom(group)}.`,
          why: [
            `${workloadName(workload)} has annotation traffic.sidecar.istio.io/excludeInboundPorts (or includeInboundPorts without ${port}).`,
            'Auto mTLS marks the endpoint as mTLS-capable because the pod has a sidecar; it does not know about the exclusion.',
          ],
          fix: `Remove port ${port} from the exclusion, or make clients send plaintext to it: a DestinationRule with portLevelSettings for that port and tls.mode DISABLE, plus a port-level DISABLE on the server policy.`,
          resource: { kind: workload.kind, namespace: workload.meta.namespace, name: workload.meta.name },
          location: workload.meta.source,
          path: 'spec.template.metadata.annotations',
          related: group.map((f) => f.target.ref),
          namespaces: affectedNamespaces(mesh, group),
        }),
      );
    }
    return findings;
  },
};

function workloadKey(w: Workload | undefined): string {
  return w ? `${w.meta.namespace}/${w.meta.name}` : '';
}
