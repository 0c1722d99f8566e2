// A client's outbound call bypasses its sidecar (traffic.sidecar.istio.io/excludeOutboundPorts, or the
// Service's clusterIP excluded by excludeOutboundIPRanges or left out of includeOutboundIPRanges): the
// app's plaintext leaves the pod as is and a STRICT server resets it.
import { outboundBypass } from '../mesh/connectivity.js';
import { OUTBOUND_EXCLUDE_PORTS, OUTBOUND_EXCLUDE_RANGES } from '../mesh/outbound-capture.js';
import { failuresWithReason, groupBy, targetName } from './connectivity-failures.js';
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
      const where = `${client.meta.namespace}/${client.meta.name}`;
      const causes = new Set<string>();
      let byPort = false;
      let byRange = false;
      for (const f of group) {
        const bypass = outboundBypass(f.group.profile, f.target, f.port);
        if (!bypass) continue;
        if (bypass.annotation === OUTBOUND_EXCLUDE_PORTS) {
          byPort = true;
          causes.add(
            `Annotation ${OUTBOUND_EXCLUDE_PORTS}=${client.podAnnotations[OUTBOUND_EXCLUDE_PORTS]} on ${where}.`,
          );
        } else {
          byRange = true;
          const excluded = bypass.annotation === OUTBOUND_EXCLUDE_RANGES;
          causes.add(
            `Annotation ${bypass.annotation}=${bypass.value} on ${where}: ${bypass.address}, the clusterIP of ${targetName(f.target)}, is ${excluded ? 'in' : 'not in'} ${excluded ? 'an excluded range' : 'the included ranges'}, so istio-iptables does not redirect calls to it to the sidecar.`,
          );
        }
      }
      findings.push(
        finding({
          code: 'outbound-port-excluded',
          message: `${where} has a sidecar, but its calls to ${describeTargets(group)} bypass it and leave as plaintext, which the STRICT server resets. Callers see: ${firstSymptom(group)}.`,
          why: [...causes, describeBackendServer(backend)],
          fix: fixFor(byPort, byRange),
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

const ACCEPT_PLAINTEXT = 'accept plaintext on that server port (PERMISSIVE or a port-level exception).';

function fixFor(byPort: boolean, byRange: boolean): string {
  const remove = [
    ...(byPort || !byRange ? ['Remove the port from excludeOutboundPorts'] : []),
    ...(byRange
      ? [
          `${byPort ? 'take' : 'Take'} the service's clusterIP out of excludeOutboundIPRanges (or into includeOutboundIPRanges)`,
        ]
      : []),
  ];
  return `${remove.join(', and ')}, or ${ACCEPT_PLAINTEXT}`;
}
