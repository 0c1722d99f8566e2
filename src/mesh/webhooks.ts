// The admission webhooks the Kubernetes API server calls, resolved to the pods and container ports that
// answer them. The API server runs outside the mesh: it sends its own TLS, never Istio mTLS, so a
// webhook port that requires mTLS resets it (Istio's docs: webhooks need PERMISSIVE or an excluded port).
import type { AdmissionWebhook, Workload } from '../snapshot/types.js';
import { ztunnelInboundMode } from './ambient.js';
import { isInboundExcluded } from './connectivity.js';
import type { ResolvedMesh } from './resolve.js';
import { type ModeDecision, PeerAuthenticationIndex, withNamespaceMode } from './server-mode.js';
import { backendsForPort, type ServiceTarget } from './targets.js';

export interface BlockedWebhook {
  readonly webhook: AdmissionWebhook;
  readonly target: ServiceTarget;
  readonly workload: Workload;
  readonly targetPort: number;
  /** The policy decision for the port, as written. */
  readonly decision: ModeDecision;
  /** What the proxy in front of the port does: ztunnel's conversion for ambient pods, not the policy's word. */
  readonly mode: ModeDecision['mode'];
}

/**
 * Each webhook's answering pods and ports where a proxy (sidecar or ztunnel) stands in the way, with
 * the mode there: STRICT resets the API server now; any other mode would the day the port turns STRICT.
 */
export function webhookEndpoints(
  mesh: ResolvedMesh,
  namespace?: string,
  policies: PeerAuthenticationIndex = mesh.peerAuthentications,
): BlockedWebhook[] {
  const found: BlockedWebhook[] = [];
  for (const webhook of mesh.snapshot.admissionWebhooks ?? []) {
    const { service } = webhook;
    if (namespace !== undefined && service.namespace !== namespace) continue;
    const target = mesh.targets.find(
      (t) => t.service?.meta.namespace === service.namespace && t.service.meta.name === service.name,
    );
    const port = target?.ports.find((p) => p.port === service.port);
    if (!target || !port) continue;
    for (const { workload, targetPort } of backendsForPort(target, port)) {
      if (targetPort === undefined || workload.gateway) continue;
      if (workload.proxy !== 'sidecar' && workload.proxy !== 'ambient') continue;
      if (workload.proxy === 'sidecar' && isInboundExcluded(workload, targetPort)) continue;
      const decision = policies.modeForPort(workload, targetPort);
      const mode =
        workload.proxy === 'ambient'
          ? ztunnelInboundMode(policies, workload, targetPort).mode
          : decision.mode;
      found.push({ webhook, target, workload, targetPort, decision, mode });
    }
  }
  return found;
}

/** The webhook endpoints that reset the API server now (STRICT). */
export function blockedWebhooks(mesh: ResolvedMesh, namespace?: string): BlockedWebhook[] {
  return webhookEndpoints(mesh, namespace).filter((e) => e.mode === 'STRICT');
}

/**
 * The webhook endpoints of a namespace that would reset the API server once the namespace is STRICT
 * and not before: judged on the policies with that switch made (ztunnel drops some exceptions a
 * sidecar keeps, so the policy levels alone cannot tell).
 */
export function webhooksBrokenByStrict(mesh: ResolvedMesh, namespace: string): BlockedWebhook[] {
  const now = webhookEndpoints(mesh, namespace).filter((e) => e.mode !== 'STRICT');
  if (now.length === 0) return [];
  const strict = new PeerAuthenticationIndex(
    withNamespaceMode(mesh.snapshot.peerAuthentications, namespace, 'STRICT'),
    mesh.rootNamespace,
  );
  const after = webhookEndpoints(mesh, namespace, strict);
  return now.filter((e) =>
    after.some(
      (a) =>
        a.workload === e.workload &&
        a.targetPort === e.targetPort &&
        a.webhook === e.webhook &&
        a.mode === 'STRICT',
    ),
  );
}
