// portLevelMtls is keyed by the container (target) port: inbound chains are built per targetPort
// (listener_inbound.go, authn ForPort(cc.port.TargetPort)). A key that is only a Service port never applies.
import { paRef } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';

export const portLevelMtlsServicePort: Analyzer = {
  name: 'PortLevelMtlsServicePort',
  codes: ['port-level-mtls-service-port'],
  analyze(mesh) {
    const findings: Finding[] = [];
    for (const pa of mesh.snapshot.peerAuthentications) {
      if (!pa.selector || pa.meta.namespace === mesh.rootNamespace || pa.portLevelMtls.size === 0) continue;
      const selected = mesh.workloads.select(pa.meta.namespace, pa.selector);
      for (const [key, mode] of pa.portLevelMtls) {
        for (const w of selected) {
          const containerPorts = new Set(w.ports.map((p) => p.containerPort));
          const targets = mesh.targetsOf(w);
          const servesKey =
            containerPorts.has(key) ||
            targets.some((t) =>
              t.ports.some(
                (p) =>
                  p.targetPort === key ||
                  (typeof p.targetPort === 'string' &&
                    w.ports.some((c) => c.name === p.targetPort && c.containerPort === key)),
              ),
            );
          if (servesKey) continue;
          const servicePort = targets
            .flatMap((t) => t.ports.map((p) => ({ t, p })))
            .find(({ p }) => p.port === key);
          if (!servicePort) continue;
          const target = servicePort.p.targetPort;
          const targetNumber =
            typeof target === 'number' ? target : w.ports.find((c) => c.name === target)?.containerPort;
          findings.push(
            finding({
              code: 'port-level-mtls-service-port',
              message: `PeerAuthentication ${pa.meta.namespace}/${pa.meta.name} sets port ${key} to ${mode}, but ${key} is the Service port of ${servicePort.t.ref.name}; the workload ${w.meta.name} listens on ${targetNumber ?? target}. Istio keys portLevelMtls by the container port, so this entry never applies and port ${targetNumber ?? target} keeps the workload's mode.`,
              why: [
                'Inbound filter chains are built per target (container) port; the Service port is never seen by the server sidecar.',
              ],
              fix: `Use the container port ${targetNumber ?? target} as the key in portLevelMtls.`,
              resource: paRef(pa),
              location: pa.meta.source,
              path: `spec.portLevelMtls.${key}`,
              related: [servicePort.t.ref, { kind: w.kind, namespace: w.meta.namespace, name: w.meta.name }],
            }),
          );
          break;
        }
      }
    }
    return findings;
  },
};
