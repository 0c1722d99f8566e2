// For a what-if that would break calls: the plan that avoids it. Plaintext-only callers (no proxy)
// are what STRICT resets; they need a sidecar first, or the server keeps accepting plaintext meanwhile.
import type { ImpactPair } from '../engine/impact.js';

export interface AvoidancePlan {
  /** Callers without a proxy that the change would reset. */
  readonly clientsWithoutSidecar: readonly string[];
  /** Service ports those callers reach. */
  readonly portsTheyCall: readonly string[];
  /** Other reasons calls would break (DestinationRules, auto mTLS off, ...). */
  readonly otherReasons: readonly string[];
  readonly steps: readonly string[];
}

const list = (items: readonly string[], max = 5) =>
  items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;

export function avoidancePlan(
  broken: readonly ImpactPair[],
  scopeText: string,
  brokenCount = broken.length,
): AvoidancePlan | undefined {
  if (broken.length === 0) return undefined;
  const plaintext = broken.filter((p) => p.client.proxy === 'none');
  const clients = [...new Set(plaintext.map((p) => p.from))].sort();
  const ports = [...new Set(plaintext.map((p) => p.to))].sort();
  const otherReasons = [
    ...new Set(broken.filter((p) => p.client.proxy !== 'none').map((p) => p.reason)),
  ].sort();
  const namespaces = [...new Set(clients.map((c) => c.split('/')[0] as string))];
  const steps: string[] = [];
  if (clients.length > 0) {
    steps.push(
      `add sidecars to the callers first: label namespace ${list(namespaces)} istio-injection=enabled (or istio.io/rev) and restart ${list(clients)}; then apply ${scopeText}`,
      `or keep PERMISSIVE for now (the change as it is breaks ${brokenCount} call(s))`,
      `or a port-level exception: a PeerAuthentication with a selector for the workloads behind ${list(ports)} and portLevelMtls on their target port set to PERMISSIVE`,
    );
  }
  for (const reason of otherReasons)
    steps.push(`fix the ${reason} finding first (mtls-doctor check explains it and offers the fix)`);
  return { clientsWithoutSidecar: clients, portsTheyCall: ports, otherReasons, steps };
}
