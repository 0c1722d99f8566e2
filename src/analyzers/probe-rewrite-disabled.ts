// Under STRICT, kubelet's HTTP/gRPC probes (plaintext, no client certificate) only work because the
// injector rewrites them to the agent's port 15020. With the rewrite off they fail and pods never get ready.
// Only on a STRICT probe port: a PERMISSIVE or DISABLE port has a plaintext filter chain
// (filterchain_options.go), and a port excluded from inbound capture never reaches Envoy.
import { isInboundExcluded } from '../mesh/connectivity.js';
import type { PeerAuthentication } from '../snapshot/types.js';
import { describeDecision, paRef } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';

const REWRITE_ANNOTATION = 'sidecar.istio.io/rewriteAppHTTPProbers';

export const probeRewriteDisabled: Analyzer = {
  name: 'ProbeRewriteDisabled',
  codes: ['probe-rewrite-disabled'],
  analyze(mesh) {
    const findings: Finding[] = [];
    const globalOff = !mesh.snapshot.injector.rewriteAppHTTPProbe;
    for (const w of mesh.snapshot.workloads) {
      if (w.proxy !== 'sidecar' || w.httpProbePorts.length === 0) continue;
      const annotation = w.podAnnotations[REWRITE_ANNOTATION]?.toLowerCase();
      const off = annotation === 'false' || (annotation === undefined && globalOff);
      if (!off) continue;
      const strict = w.httpProbePorts
        .filter((port) => !isInboundExcluded(w, port))
        .map((port) => ({ port, decision: mesh.peerAuthentications.modeForPort(w, port) }))
        .filter(({ decision }) => decision.mode === 'STRICT');
      if (strict.length === 0) continue;
      const source =
        annotation === 'false'
          ? `pod annotation ${REWRITE_ANNOTATION}: "false"`
          : `injector values sidecarInjectorWebhook.rewriteAppHTTPProbe: false (${mesh.snapshot.injector.source?.namespace}/${mesh.snapshot.injector.source?.name})`;
      const ports = strict.map(({ port }) => port);
      const policies = [
        ...new Set(strict.map(({ decision }) => decision.policy).filter((p): p is PeerAuthentication => !!p)),
      ];
      findings.push(
        finding({
          code: 'probe-rewrite-disabled',
          message: `${w.meta.namespace}/${w.meta.name} has HTTP/gRPC probes on STRICT port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}, but probe rewriting is off: kubelet's plaintext probes are reset by the sidecar, so pods fail readiness/liveness and restart.`,
          why: [
            source,
            ...strict.map(
              ({ port, decision }) => `Probe port ${port} is STRICT: ${describeDecision(decision, port)}.`,
            ),
          ],
          fix: `Remove the annotation (or set it to "true") so the injector rewrites probes to the agent, or make the probe port PERMISSIVE with a port-level exception.`,
          resource: { kind: w.kind, namespace: w.meta.namespace, name: w.meta.name },
          location: w.meta.source,
          path: 'spec.template.metadata.annotations',
          related: policies.map(paRef),
        }),
      );
    }
    return findings;
  },
};
