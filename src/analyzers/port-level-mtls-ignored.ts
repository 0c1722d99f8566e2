// portLevelMtls on a policy without a selector (the field guide's "Solution 2") is rejected by the API
// server ("portLevelMtls requires selector") and ignored by istiod; a selector policy in the root
// namespace is ignored entirely (policy_applier.go ComposePeerAuthentication).

import type { RemediationPlan } from '../remediation/plans.js';
import { paRef } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';
import { portExceptionFor } from './port-exception.js';

export const portLevelMtlsIgnored: Analyzer = {
  name: 'PortLevelMtlsIgnored',
  codes: ['port-level-mtls-ignored'],
  analyze(mesh) {
    const findings: Finding[] = [];
    for (const pa of mesh.snapshot.peerAuthentications) {
      const ns = pa.meta.namespace;
      if (pa.selector && ns === mesh.rootNamespace) {
        findings.push(
          finding({
            code: 'port-level-mtls-ignored',
            severity: 'warning',
            message: `PeerAuthentication ${ns}/${pa.meta.name} has a selector but lives in the root namespace ${ns}: Istio ignores it entirely, so its mode${pa.portLevelMtls.size ? ' and port settings' : ''} never apply.`,
            why: [
              'Selector policies are workload-level only outside the root namespace; in the root namespace only the selector-less mesh policy counts.',
            ],
            fix: `Move it to the namespace of the workloads it selects.`,
            resource: paRef(pa),
            location: pa.meta.source,
            path: 'spec.selector',
          }),
        );
        continue;
      }
      if (pa.selector || pa.portLevelMtls.size === 0) continue;
      const ports = [...pa.portLevelMtls.keys()];
      const remediations: RemediationPlan[] = [];
      for (const port of ports) {
        for (const w of mesh.workloads.inNamespace(ns)) {
          const service = mesh.targetsOf(w).find((t) => t.service?.selector);
          const selector =
            service?.service?.selector ?? (w.podLabels.app ? { app: w.podLabels.app } : undefined);
          const servesPort =
            w.ports.some((p) => p.containerPort === port) ||
            service?.ports.some((p) => p.targetPort === port);
          if (selector && servesPort && remediations.length < 5) {
            remediations.push(...portExceptionFor(mesh, w, selector, port));
          }
        }
      }
      const scope = ns === mesh.rootNamespace ? 'mesh-wide' : 'namespace-wide';
      findings.push(
        finding({
          code: 'port-level-mtls-ignored',
          message: `PeerAuthentication ${ns}/${pa.meta.name} is ${scope} and sets portLevelMtls for port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}; Istio ignores port-level settings without a selector (and the API server rejects this object), so ${ports.length > 1 ? 'those ports keep' : 'that port keeps'} the ${pa.mode ?? 'inherited'} mode.`,
          why: [
            'portLevelMtls is only read from a workload-level policy (one with selector.matchLabels); CRD validation says "portLevelMtls requires selector".',
            'Port keys are the container (target) port, not the Service port.',
          ],
          fix: 'Move the port exception to a PeerAuthentication with a selector for the workload that serves the port, keyed by its container port.',
          resource: paRef(pa),
          location: pa.meta.source,
          path: 'spec.portLevelMtls',
          remediations,
        }),
      );
    }
    return findings;
  },
};
