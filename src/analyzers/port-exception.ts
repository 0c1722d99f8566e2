// The port exception the analyzers offer for one workload's port (none in the root namespace). It goes
// into the selector policy that already covers the workload when there is one: Istio applies only the
// oldest selector policy of a workload, so a second one beside it would be ignored. An ambient workload
// whose other ports are STRICT gets a policy with its own mtls.mode STRICT (see addPortException):
// istiod converts that alone into "deny plaintext except on this port", whatever the namespace and mesh
// policies are.
import type { ResolvedMesh } from '../mesh/resolve.js';
import { addPortException, type RemediationPlan } from '../remediation/plans.js';
import type { Labels, Workload } from '../snapshot/types.js';

export function portExceptionFor(
  mesh: ResolvedMesh,
  workload: Workload,
  selector: Labels,
  targetPort: number,
): RemediationPlan[] {
  // A selector policy in the root namespace is ignored (Istio reads only the mesh-wide one there).
  if (workload.meta.namespace === mesh.rootNamespace) return [];
  const policy = mesh.peerAuthentications.forWorkload(workload);
  const strictWorkload = workload.proxy === 'ambient' && policy.base.mode === 'STRICT';
  return [
    addPortException(workload.meta.namespace, selector, targetPort, policy.workload, workload, {
      strictWorkload,
    }),
  ];
}
