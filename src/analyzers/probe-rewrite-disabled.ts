// Under STRICT, kubelet's HTTP/gRPC probes (plaintext, no client certificate) only work because the
// injector rewrites them to the agent's port 15020. With the rewrite off they fail and pods never get ready.
import { paRef } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';

const REWRITE_ANNOTATION = 'sidecar.istio.io/rewriteAppHTTPProbers';

export const probeRewriteDisabled: Analyzer = {
  name: 'ProbeRewriteDisabled',
  codes: ['probe-rewrite-disabled'],
  analyze(mesh) {
    const findings: Finding[] = [];
    const globalOff = !mesh.snapshot.injector.rewriteAppHTTPProbe;
    for (const w of mesh.snapshot.workloads) {
      if (w.proxy !== 'sidecar' || !w.hasHttpProbes) continue;
      const annotation = w.podAnnotations[REWRITE_ANNOTATION]?.toLowerCase();
      const off = annotation === 'false' || (annotation === undefined && globalOff);
      if (!off) continue;
      const policy = mesh.peerAuthentications.forWorkload(w);
      const strictPorts = [...policy.ports].filter(([, d]) => d.mode === 'STRICT').map(([p]) => p);
      if (policy.base.mode !== 'STRICT' && strictPorts.length === 0) continue;
      const source =
        annotation === 'false'
          ? `pod annotation ${REWRITE_ANNOTATION}: "false"`
          : `injector values sidecarInjectorWebhook.rewriteAppHTTPProbe: false (${mesh.snapshot.injector.source?.namespace}/${mesh.snapshot.injector.source?.name})`;
      findings.push(
        finding({
          code: 'probe-rewrite-disabled',
          message: `${w.meta.namespace}/${w.meta.name} has HTTP/gRPC probes and a STRICT policy, but probe rewriting is off: kubelet's plaintext probes are reset by the sidecar, so pods fail readiness/liveness and restart.`,
          why: [
            source,
            policy.base.policy
              ? `PeerAuthentication ${policy.base.policy.meta.namespace}/${policy.base.policy.meta.name} makes it STRICT.`
              : 'It is STRICT.',
          ],
          fix: `Remove the annotation (or set it to "true") so the injector rewrites probes to the agent, or make the probe port PERMISSIVE with a port-level exception.`,
          resource: { kind: w.kind, namespace: w.meta.namespace, name: w.meta.name },
          location: w.meta.source,
          path: 'spec.template.metadata.annotations',
          related: policy.base.policy ? [paRef(policy.base.policy)] : [],
        }),
      );
    }
    return findings;
  },
};
