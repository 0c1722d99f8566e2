// Auto mTLS keys on each endpoint's tlsMode (pod label security.istio.io/tlsMode), not on whether the
// pod really has a sidecar (kube/conversion.go PodTLSMode, mtls_checker.go checkMtlsEnabled). A sidecar
// pod labelled otherwise than "istio" receives plaintext; a pod without one labelled "istio" receives mTLS.
import { TLS_MODE_LABEL } from '../snapshot/endpoint-tls-mode.js';
import {
  affectedNamespaces,
  describeClients,
  failuresWithReason,
  groupBy,
  workloadName,
} from './connectivity-failures.js';
import { describeBackendServer, describeTargets, firstSymptom } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';

export const tlsModeLabelMismatch: Analyzer = {
  name: 'TlsModeLabelMismatch',
  codes: ['tlsmode-label-mismatch'],
  analyze(mesh) {
    const failures = failuresWithReason(mesh, 'tlsmode-label-mismatch');
    const byWorkload = groupBy(
      failures.flatMap((f) => f.backends.map((b) => ({ f, b }))),
      ({ b }) => (b.backend ? workloadName(b.backend.workload) : ''),
    );
    const findings: Finding[] = [];
    for (const entries of byWorkload.values()) {
      const first = entries[0];
      const workload = first?.b.backend?.workload;
      if (!first || !workload) continue;
      const group = [...new Set(entries.map((e) => e.f))];
      const label = workload.podLabels[TLS_MODE_LABEL];
      const labelWords =
        label === undefined
          ? `has no ${TLS_MODE_LABEL} label (so "disabled")`
          : `is labelled ${TLS_MODE_LABEL}=${label}`;
      const hasSidecar = first.b.serverProxy === 'sidecar';
      findings.push(
        finding({
          code: 'tlsmode-label-mismatch',
          message: hasSidecar
            ? `${describeClients(group)} send plaintext to ${describeTargets(group)}: pod ${workloadName(workload)} ${labelWords}, so istiod tells clients it has no sidecar, but it has one and it is ${first.b.serverMode}. Callers see: ${firstSymptom(group)}.`
            : `${describeClients(group)} send Istio mTLS to ${describeTargets(group)}: pod ${workloadName(workload)} is labelled ${TLS_MODE_LABEL}=istio, so istiod tells clients it has a sidecar, but it has none (${workload.proxyReason}). Callers see: ${firstSymptom(group)}.`,
          why: [
            `Auto mTLS sends mTLS only to endpoints whose ${TLS_MODE_LABEL} is "istio" (and whose own policy is not DISABLE); istiod reads the label, not the pod's containers. The injector sets it to "istio" unless the pod template already sets it.`,
            describeBackendServer(first.b),
          ],
          fix: hasSidecar
            ? `Remove the ${TLS_MODE_LABEL} label from the pod template (the injector then sets "istio"), or set it to istio.`
            : `Remove the ${TLS_MODE_LABEL}=istio label from the pod template, or inject a sidecar.`,
          resource: { kind: workload.kind, namespace: workload.meta.namespace, name: workload.meta.name },
          location: workload.meta.source,
          path: `metadata.labels.${TLS_MODE_LABEL}`,
          related: group.map((f) => f.target.ref),
          namespaces: affectedNamespaces(mesh, group),
        }),
      );
    }
    return findings;
  },
};
