// The port exception the analyzers offer for one workload's port (none in the root namespace). An ambient workload whose other ports
// are STRICT gets a policy with its own mtls.mode STRICT (see addPortException): istiod converts that
// alone into "deny plaintext except on this port", whatever the namespace and mesh policies are.
import type { ResolvedMesh } from '../mesh/resolve.js';
import { addPortException, type RemediationPlan } from '../remediation/plans.js';
import type { Labels, PeerAuthentication, Workload } from '../snapshot/types.js';

export function portExceptionFor(
  mesh: ResolvedMesh,
  workload: Workload,
  selector: Labels,
  targetPort: number,
  existing: PeerAuthentication | undefined,
): RemediationPlan[] {
  // A selector policy in the root namespace is ignored (Istio reads only the mesh-wide one there).
  if (workload.meta.namespace === mesh.rootNamespace) return [];
  const strictWorkload =
    workload.proxy === 'ambient' && mesh.peerAuthentications.forWorkload(workload).base.mode === 'STRICT';
  return [
    addPortException(workload.meta.namespace, selector, targetPort, existing, workload.meta.name, {
      strictWorkload,
    }),
  ];
}
