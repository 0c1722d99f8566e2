// The admission webhooks the Kubernetes API server calls, resolved to the pods and container ports that
// answer them. The API server runs outside the mesh: it sends its own TLS, never Istio mTLS, so a
// webhook port that requires mTLS resets it (Istio's docs: webhooks need PERMISSIVE or an excluded port).
import type { AdmissionWebhook, Workload } from '../snapshot/types.js';
import { isInboundExcluded } from './connectivity.js';
import type { ResolvedMesh } from './resolve.js';
import type { ModeDecision } from './server-mode.js';
import { backendsForPort, type ServiceTarget } from './targets.js';

export interface BlockedWebhook {
  readonly webhook: AdmissionWebhook;
  readonly target: ServiceTarget;
  readonly workload: Workload;
  readonly targetPort: number;
  readonly decision: ModeDecision;
}

/**
 * Each webhook's answering pods and ports where a proxy (sidecar or ztunnel) stands in the way, with
 * the mode there: STRICT resets the API server now; any other mode would the day the port turns STRICT.
 */
export function webhookEndpoints(mesh: ResolvedMesh, namespace?: string): BlockedWebhook[] {
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
      const decision = mesh.peerAuthentications.modeForPort(workload, targetPort);
      found.push({ webhook, target, workload, targetPort, decision });
    }
  }
  return found;
}

/** The webhook endpoints that reset the API server now (STRICT). */
export function blockedWebhooks(mesh: ResolvedMesh, namespace?: string): BlockedWebhook[] {
  return webhookEndpoints(mesh, namespace).filter((e) => e.decision.mode === 'STRICT');
}

// Levels a namespace switch to STRICT reaches: nothing more specific sets the port's mode.
const INHERITED = new Set(['default', 'mesh', 'namespace']);

/** The webhook endpoints of a namespace that switching it to STRICT would make reset the API server. */
export function webhooksBrokenByStrict(mesh: ResolvedMesh, namespace: string): BlockedWebhook[] {
  return webhookEndpoints(mesh, namespace).filter(
    (e) => e.decision.mode !== 'STRICT' && INHERITED.has(e.decision.level),
  );
}
