// The plan that sets a namespace's mode. Istio keeps the oldest selector-less policy of a namespace
// and ignores the others, so where one exists it is the one to switch: a new policy beside it would
// change nothing. Where none exists a new one is created, named "default" unless a policy of that name
// is there already (one with a selector, which applies to its workloads only): `kubectl apply` of
// "default" would merge into that policy, keep its selector and change the mode of those workloads only.
import type { ResolvedMesh } from '../mesh/resolve.js';
import {
  createNamespacePolicy,
  type RemediationPlan,
  setPeerAuthenticationMode,
} from '../remediation/plans.js';

export function namespaceModeFix(
  mesh: ResolvedMesh,
  namespace: string,
  mode: 'PERMISSIVE' | 'STRICT',
): RemediationPlan {
  const winner = mesh.peerAuthentications.namespacePolicy(namespace);
  if (winner) return setPeerAuthenticationMode(winner, mode);
  const taken = new Set(
    mesh.snapshot.peerAuthentications.filter((p) => p.meta.namespace === namespace).map((p) => p.meta.name),
  );
  return createNamespacePolicy(namespace, mode, freeName(taken, mode));
}

function freeName(taken: ReadonlySet<string>, mode: string): string {
  if (!taken.has('default')) return 'default';
  const base = `namespace-${mode.toLowerCase()}`;
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  return name;
}
