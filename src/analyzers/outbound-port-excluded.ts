// A client's outbound port bypasses its sidecar (traffic.sidecar.istio.io/excludeOutboundPorts): the app's
// plaintext leaves the pod as is and a STRICT server resets it.
import { failuresWithReason, groupBy } from './connectivity-failures.js';
import { describeBackendServer, describeTargets, firstSymptom } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';

export const outboundPortExcluded: Analyzer = {
  name: 'OutboundPortExcluded',
  codes: ['outbound-port-excluded'],
  analyze(mesh) {
    const findings: Finding[] = [];
    const failures = failuresWithReason(mesh, 'outbound-port-excluded');
    for (const group of groupBy(failures, (f) => f.group.key).values()) {
      const first = group[0];
      const client = first?.group.sample(1)[0];
      const backend = first?.backends[0];
      if (!first || !client || !backend) continue;
      findings.push(
        finding({
          code: 'outbound-port-excluded',
          message: `${client.meta.namespace}/${client.meta.name} has a sidecar, but its calls to ${describeTargets(group)} bypass it and leave as plaintext, which the STRICT server resets. Callers see: ${firstSymptom(group)}.`,
          why: [
            `Annotation traffic.sidecar.istio.io/excludeOutboundPorts=${client.podAnnotations['traffic.sidecar.istio.io/excludeOutboundPorts']} on ${client.meta.namespace}/${client.meta.name}.`,
            describeBackendServer(backend),
          ],
          fix: 'Remove the port from excludeOutboundPorts, or accept plaintext on that server port (PERMISSIVE or a port-level exception).',
          resource: { kind: client.kind, namespace: client.meta.namespace, name: client.meta.name },
          location: client.meta.source,
          path: 'spec.template.metadata.annotations',
          related: group.map((f) => f.target.ref),
        }),
      );
    }
    return findings;
  },
};
