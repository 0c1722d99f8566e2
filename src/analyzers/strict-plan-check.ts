// Whether a STRICT plan closes a port to plaintext without breaking anyone: the plan's change is made
// on the PeerAuthentications, the mesh resolved again, and every call to the namespace's services that
// works today judged again, with the admission webhooks (the API server has no sidecar) and the probes
// without rewriting that STRICT also resets. A call the DENY policy refuses once it carries its
// identity is the caller the policy names: closing the hole, not a break. Only then is STRICT offered as a plan: a plan that the
// product says is safe must not cut off a plaintext client the product already knows about.
import { denyRuleBroadened } from '../mesh/authorization.js';
import { accepts } from '../mesh/connectivity.js';
import { filterChain } from '../mesh/port-protocol.js';
import { ResolvedMesh } from '../mesh/resolve.js';
import { type Backend, portExpectsTls, type ServiceTarget, type TargetPort } from '../mesh/targets.js';
import { webhookEndpoints } from '../mesh/webhooks.js';
import type { AuthorizationPolicy, PeerAuthentication } from '../snapshot/types.js';
import { targetName, workloadName } from './connectivity-failures.js';
import type { AnalysisContext } from './finding.js';
import { probeRewriteDisabled } from './probe-rewrite-disabled.js';

/** A server port a plan must close: it accepts plaintext today. */
export interface OpenPort {
  readonly target: ServiceTarget;
  readonly port: TargetPort;
  readonly backend: Backend;
}

export interface StrictCheck {
  /** Every port the plan was meant for refuses plaintext afterwards. */
  readonly closes: boolean;
  /** What the change would break: "legacy/batch -> shop/cart:80", an admission webhook, a probe. */
  readonly breaks: readonly string[];
  /** Calls that work today and that the DENY policy refuses once they carry mTLS: the policy working. */
  readonly refused: number;
}

/**
 * Judges `policies` (the PeerAuthentications with the plan's change made) for the servers of
 * `namespace`: the only servers a namespace or workload policy there can change.
 */
export function checkStrictChange(
  mesh: ResolvedMesh,
  context: AnalysisContext,
  namespace: string,
  policies: readonly PeerAuthentication[],
  open: readonly OpenPort[],
  meant: AuthorizationPolicy,
): StrictCheck {
  const after = new ResolvedMesh({ ...mesh.snapshot, peerAuthentications: [...policies] });
  const closes = open.every(
    ({ backend, port }) => !accepts(after.evaluator.serverSide(backend), 'DISABLE', portExpectsTls(port)),
  );
  const breaks: string[] = [];
  let refused = 0;
  // The targets are built alike from the same services and workloads: the same order in both meshes.
  mesh.targets.forEach((target, i) => {
    const again = after.targets[i];
    if (target.namespace !== namespace || !again || again.host !== target.host) return;
    for (const group of mesh.clientGroups(target)) {
      if (group.hypothetical) continue;
      target.ports.forEach((port, j) => {
        const portAfter = again.ports[j] as TargetPort;
        if (!mesh.outcomeForClass(group, target, port).ok) return;
        const changed = after.outcomeForClass(group, again, portAfter);
        if (changed.ok) return;
        // Refused with mTLS by the DENY policy itself: the caller it names, no longer let in. Not a break,
        // unless the rule matches more than it says there (its HTTP conditions dropped): then the
        // caller loses every call, not only those the policy names.
        const chain = filterChain(portAfter, portExpectsTls(portAfter));
        const meantAlone = (b: (typeof changed.failing)[number]) =>
          b.authorization?.policies.includes(meant) &&
          !meant.rules.some((r) => denyRuleBroadened(r, b.authorization?.enforcer ?? 'sidecar', chain));
        if (changed.failing.every(meantAlone)) {
          refused++;
          return;
        }
        const clients = group.sample(2).map(workloadName).join(', ');
        breaks.push(`${clients}${group.count > 2 ? ' and others' : ''} -> ${targetName(target, port)}`);
      });
    }
  });
  const strictHooks = (m: ResolvedMesh) =>
    new Set(
      webhookEndpoints(m, namespace)
        .filter((e) => e.mode === 'STRICT')
        .map((e) => `the API server -> admission webhook ${e.webhook.name} (${workloadName(e.workload)})`),
    );
  const hooksBefore = strictHooks(mesh);
  for (const hook of strictHooks(after)) if (!hooksBefore.has(hook)) breaks.push(hook);
  const probes = (m: ResolvedMesh) =>
    new Set(
      probeRewriteDisabled
        .analyze(m, context)
        .filter((f) => f.resource.namespace === namespace)
        .map((f) => `kubelet probes -> ${f.resource.namespace}/${f.resource.name}`),
    );
  const probesBefore = probes(mesh);
  for (const probe of probes(after)) if (!probesBefore.has(probe)) breaks.push(probe);
  return { closes, breaks, refused };
}
