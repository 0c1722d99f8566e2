// The port exception the analyzers offer for one workload's port. An ambient workload whose other ports
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
): RemediationPlan {
  const strictWorkload =
    workload.proxy === 'ambient' && mesh.peerAuthentications.forWorkload(workload).base.mode === 'STRICT';
  return addPortException(workload.meta.namespace, selector, targetPort, existing, workload.meta.name, {
    strictWorkload,
  });
}
