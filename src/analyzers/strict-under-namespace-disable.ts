// A workload policy says STRICT while its namespace (or the mesh) says DISABLE. Auto mTLS reads only the
// namespace/mesh level (push_context.go BestEffortInferServiceMTLSMode), so clients send plaintext to
// the whole service and the STRICT workload resets them.
import { setPeerAuthenticationMode } from '../remediation/plans.js';
import { affectedNamespaces, describeClients, failuresWithReason, groupBy } from './connectivity-failures.js';
import { describeTargets, firstSymptom, paRef } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';

export const strictUnderNamespaceDisable: Analyzer = {
  name: 'StrictUnderNamespaceDisable',
  codes: ['strict-under-namespace-disable'],
  analyze(mesh) {
    const failures = failuresWithReason(mesh, 'strict-under-namespace-disable');
    const findings: Finding[] = [];
    for (const group of groupBy(failures, (f) => f.backends[0]?.decision?.policy?.meta.name ?? '').values()) {
      const first = group[0];
      const policy = first?.backends[0]?.decision?.policy;
      if (!first || !policy) continue;
      const nsMode = mesh.peerAuthentications.namespaceMode(first.target.namespace);
      const nsPolicy = nsMode?.policy;
      findings.push(
        finding({
          code: 'strict-under-namespace-disable',
          message: `${describeClients(group)} send plaintext to ${describeTargets(group)} and are reset: PeerAuthentication ${policy.meta.namespace}/${policy.meta.name} makes the workload STRICT, but auto mTLS only looks at the namespace/mesh policy, which says DISABLE. Callers see: ${firstSymptom(group)}.`,
          why: [
            `PeerAuthentication ${policy.meta.namespace}/${policy.meta.name} (workload-level) sets STRICT on the server.`,
            `${nsPolicy ? `PeerAuthentication ${nsPolicy.meta.namespace}/${nsPolicy.meta.name}` : 'The namespace/mesh policy'} sets DISABLE, and auto mTLS decides per service from the namespace/mesh level only, so it picks plaintext.`,
          ],
          fix: `Set the workload policy to PERMISSIVE, or change the namespace policy from DISABLE to PERMISSIVE, or add a DestinationRule with ISTIO_MUTUAL for this host.`,
          resource: paRef(policy),
          location: policy.meta.source,
          path: 'spec.mtls.mode',
          related: [...(nsPolicy ? [paRef(nsPolicy)] : []), ...group.map((f) => f.target.ref)],
          namespaces: affectedNamespaces(mesh, group),
          remediations: [
            ...(nsPolicy && nsPolicy.meta.namespace !== mesh.rootNamespace
              ? [setPeerAuthenticationMode(nsPolicy, 'PERMISSIVE')]
              : []),
            setPeerAuthenticationMode(policy, 'PERMISSIVE'),
          ],
        }),
      );
    }
    return findings;
  },
};
