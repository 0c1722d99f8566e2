// The port exception the analyzers offer for one workload's port (none in the root namespace). It goes
// into the selector policy that already covers the workload when there is one: Istio applies only the
// oldest selector policy of a workload, so a second one beside it would be ignored. An ambient workload
// whose other ports are STRICT gets a policy with its own mtls.mode STRICT (see addPortException):
// istiod converts that alone into "deny plaintext except on this port", whatever the namespace and mesh
// policies are.
import type { ResolvedMesh } from '../mesh/resolve.js';
import { formatSelector } from '../mesh/selectors.js';
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
  // The selector comes from the Service: every workload behind it gets the exception, and says so.
  const selected = mesh.workloads.select(workload.meta.namespace, selector).map((w) => w.meta.name);
  const scope = selectedWorkloads(workload.meta.name, selector, selected);
  return [
    addPortException(workload.meta.namespace, selector, targetPort, policy.workload, workload, {
      strictWorkload,
      scope,
    }),
  ];
}

/** "reviews", or "the 3 workloads selected by app=reviews (reviews, reviews-v2, reviews-v3)". */
function selectedWorkloads(name: string, selector: Labels, selected: readonly string[]): string {
  const names = [name, ...selected.filter((n) => n !== name)];
  if (names.length === 1) return name;
  const shown =
    names.length > 4 ? `${names.slice(0, 4).join(', ')} and ${names.length - 4} more` : names.join(', ');
  return `the ${names.length} workloads selected by ${formatSelector(selector)} (${shown})`;
}
