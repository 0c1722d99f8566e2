// Headless (passthrough) service with an endpoint lacking a sidecar: auto mTLS falls back to plaintext
// for every endpoint (push_context.go BestEffortInferServiceMTLSMode), so STRICT pods reset clients.
import type { ResolvedMesh } from '../mesh/resolve.js';
import { type RemediationPlan, setPeerAuthenticationMode } from '../remediation/plans.js';
import { DISABLED_TLS_MODE, endpointTlsMode } from '../snapshot/endpoint-tls-mode.js';
import {
  affectedNamespaces,
  describeClients,
  failuresWithReason,
  groupBy,
  targetName,
} from './connectivity-failures.js';
import { describeBackendServer, firstSymptom } from './explain.js';
import { type Analyzer, type Finding, finding } from './finding.js';
import { namespaceModeFix } from './namespace-policy-fix.js';

export const headlessServicePlaintext: Analyzer = {
  name: 'HeadlessServicePlaintext',
  codes: ['headless-service-plaintext'],
  analyze(mesh) {
    const findings: Finding[] = [];
    const failures = failuresWithReason(mesh, 'headless-service-plaintext');
    for (const group of groupBy(failures, (f) => targetName(f.target)).values()) {
      const first = group[0];
      const backend = first?.backends[0];
      if (!first || !backend) continue;
      // istiod judges by each endpoint's tlsMode ("disabled" exactly), not by its containers.
      const withoutSidecar = first.target.backends
        .filter((w) => endpointTlsMode(w) === DISABLED_TLS_MODE)
        .map((w) => `${w.meta.namespace}/${w.meta.name}`);
      const policy = backend.decision?.policy;
      findings.push(
        finding({
          code: 'headless-service-plaintext',
          message:
            backend.tls === 'DISABLE'
              ? `${describeClients(group)} send plaintext to headless service ${targetName(first.target)}, and its STRICT pods reset them. Callers see: ${firstSymptom(group)}.`
              : `${describeClients(group)} send Istio mTLS to every pod of headless service ${targetName(first.target)}, but ${describeBackendServer(backend)}. Callers see: ${firstSymptom(group)}.`,
          why: [
            `Service ${targetName(first.target)} is headless: its clients use one TLS setting for every pod (an ORIGINAL_DST cluster), mTLS only when every endpoint has a sidecar${withoutSidecar.length ? `, and ${withoutSidecar.join(', ')} has tlsMode "disabled" (no sidecar, or the pod label security.istio.io/tlsMode says so)` : backend.tls === 'DISABLE' ? ' (no endpoints)' : ", whatever each pod's own policy says"}.`,
            describeBackendServer(backend),
          ],
          fix:
            backend.tls === 'DISABLE'
              ? 'Inject a sidecar into every workload behind the service, or add a DestinationRule with ISTIO_MUTUAL for this host, or make the STRICT pods PERMISSIVE.'
              : 'Make the DISABLE pods PERMISSIVE (they then accept the mTLS their clients send), or add a DestinationRule with tls.mode DISABLE for this host.',
          resource: first.target.ref,
          location: first.target.service?.meta.source,
          related: policy
            ? [{ kind: 'PeerAuthentication', namespace: policy.meta.namespace, name: policy.meta.name }]
            : [],
          namespaces: affectedNamespaces(mesh, group),
          remediations: permissiveFix(mesh, backend.decision, first.target.namespace),
        }),
      );
    }
    return findings;
  },
};

/**
 * PERMISSIVE where the deciding policy's own mode decided. A port entry keeps its port STRICT whatever
 * the policy's mode says, and the mesh policy is not switched for one service: its namespace gets
 * the PERMISSIVE policy instead (not in the root namespace, where that is the mesh policy).
 */
function permissiveFix(
  mesh: ResolvedMesh,
  decision:
    | { readonly level?: string; readonly policy?: Parameters<typeof setPeerAuthenticationMode>[0] }
    | undefined,
  namespace: string,
): RemediationPlan[] {
  if (decision?.policy && (decision.level === 'namespace' || decision.level === 'workload'))
    return [setPeerAuthenticationMode(decision.policy, 'PERMISSIVE')];
  if (decision?.level === 'mesh' && namespace !== mesh.rootNamespace)
    return [namespaceModeFix(mesh, namespace, 'PERMISSIVE')];
  return [];
}
