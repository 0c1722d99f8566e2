// Ambient mode: what ztunnel accepts on an ambient workload's port, and how each kind of client reaches
// it. Follows istio/istio master:
//  1. Server side. ztunnel never sees a PeerAuthentication; istiod turns them into DENY Authorizations
//     (pilot/pkg/serviceregistry/ambient/): the workload references the static STRICT policy and/or its
//     converted selector policy (authorization.go convertedSelectorPeerAuthentications, called from
//     workloads.go), and the selector policy is converted port by port (convertPeerAuthentication;
//     policies.go PolicyCollections). ztunnel denies a connection when any group matches and a group
//     matches when all its rules match (istio/ztunnel src/rbac.rs Authorization::matches). HBONE always
//     carries a peer identity, so only plaintext can be denied; DISABLE is handled as "not STRICT", so
//     it acts as PERMISSIVE (convertedSelectorPeerAuthentications: a namespace policy sets effective
//     STRICT only if STRICT, a PERMISSIVE or DISABLE workload policy clears it; convertPeerAuthentication
//     has one branch for PERMISSIVE and DISABLE ports).
//  2. Client side. A sidecar sends HBONE to an endpoint that supports the tunnel (endpoint_builder.go
//     supportTunnel), except when the pod is labelled security.istio.io/tlsMode=istio: then it keeps
//     "legacy" Istio mTLS unless PILOT_PREFER_SENDING_HBONE (off by default) — ztunnel has no listener
//     for that. A DestinationRule's SIMPLE/MUTUAL travels inside the tunnel (cluster_tls.go
//     applyHBONETransportSocketMatches: hboneTransportSocket(ts)); ISTIO_MUTUAL and DISABLE become plain
//     HBONE. ztunnel sends HBONE to ambient pods and to pods labelled networking.istio.io/tunnel=http
//     (workloads.go setTunnelProtocol), plaintext to the rest; it reads no DestinationRule.
//  3. Waypoints change who enforces L7 policy, not mTLS reachability: a waypoint reaches an ambient pod
//     over HBONE (endpoint_builder.go: the endpoint supports the tunnel (supportTunnel) and a waypoint's
//     inbound-VIP clusters are exempt from the tlsMode=istio rule; "Waypoints always use HBONE" there is
//     about a gateway sending to a service waypoint), sidecars ignore service waypoints (same file),
//     ztunnel's plaintext inbound path applies only the Authorizations (src/proxy/
//     inbound_passthrough.rs), and a use-waypoint naming a waypoint that does not exist leaves the
//     target without one (waypoints.go fetchWaypointForTarget), so traffic goes direct.
//     Known limitation, not modelled: a waypoint reaches a sidecar pod (security.istio.io/tlsMode=istio,
//     no tunnel support) with Istio mTLS, not HBONE (cluster_tls.go: the "tlsMode-istio" transport
//     socket match next to the HBONE one).
import type { MtlsMode, PeerAuthentication, Workload } from '../snapshot/types.js';
import type { EffectiveMode, ModeDecision, PeerAuthenticationIndex } from './server-mode.js';

/**
 * How ztunnel's result departs from the PeerAuthentication as a sidecar would apply it:
 * - disable-ignored: DISABLE, which ztunnel treats as PERMISSIVE;
 * - strict-not-enforced: the policies say STRICT for the port, ztunnel still accepts plaintext;
 * - exception-ignored: the policies say PERMISSIVE/DISABLE for the port, ztunnel rejects plaintext.
 */
export type AmbientDivergence = 'disable-ignored' | 'strict-not-enforced' | 'exception-ignored';

export interface AmbientModeDecision {
  /** STRICT: plaintext is denied; PERMISSIVE: plaintext and HBONE are accepted. */
  readonly mode: 'STRICT' | 'PERMISSIVE';
  /** The decision as PeerAuthentication precedence composes it (server-mode.ts): what the policies say. */
  readonly decision: ModeDecision;
  /** The mode the policies declare for the port (what a sidecar would enforce). */
  readonly declared: EffectiveMode;
  readonly divergence?: AmbientDivergence;
  /** The workload policy whose converted form decided it, when that is where ztunnel departs. */
  readonly workloadPolicy?: PeerAuthentication;
}

/** A plaintext connection's view of one converted rule (principals are absent). */
type Rule =
  | { readonly kind: 'no-principal' }
  | { readonly kind: 'not-port'; readonly port: number }
  | { readonly kind: 'no-principal-on-port'; readonly port: number };

const strict = (p: PeerAuthentication | undefined) => p?.mode === 'STRICT';
const unset = (p: PeerAuthentication | undefined) => p?.mode === undefined || p.mode === 'UNSET';
const lax = (m: MtlsMode | undefined) => m === 'PERMISSIVE' || m === 'DISABLE';

/** What ztunnel does with plaintext arriving for the workload's target port. */
export function ztunnelInboundMode(
  index: PeerAuthenticationIndex,
  workload: Workload,
  targetPort: number | undefined,
): AmbientModeDecision {
  const policy = index.forWorkload(workload);
  const sidecar = targetPort !== undefined ? index.modeForPort(workload, targetPort) : policy.base;
  const { staticStrict, converted } = attachedPolicies(policy.mesh, policy.namespace, policy.workload);
  const groups = converted ? convertPeerAuthentication(converted, policy.namespace, policy.mesh) : [];
  const denied =
    staticStrict || groups.some((g) => g.every((r) => plaintextMatches(r, targetPort ?? Number.NaN)));
  const mode = denied ? 'STRICT' : 'PERMISSIVE';
  const declared = sidecar.mode;
  let divergence: AmbientDivergence | undefined;
  if (declared === 'DISABLE' && mode === 'PERMISSIVE') divergence = 'disable-ignored';
  else if (declared === 'STRICT' && mode === 'PERMISSIVE') divergence = 'strict-not-enforced';
  else if (declared !== 'STRICT' && mode === 'STRICT') divergence = 'exception-ignored';
  return {
    mode,
    decision: sidecar,
    declared,
    ...(divergence ? { divergence } : {}),
    ...(divergence && divergence !== 'disable-ignored' && policy.workload
      ? { workloadPolicy: policy.workload }
      : {}),
  };
}

/**
 * convertedSelectorPeerAuthentications: whether the workload references the static STRICT policy, and
 * whether it references its selector policy's converted form.
 */
function attachedPolicies(
  mesh: PeerAuthentication | undefined,
  namespace: PeerAuthentication | undefined,
  workload: PeerAuthentication | undefined,
): { staticStrict: boolean; converted?: PeerAuthentication } {
  let effectiveStrict = strict(mesh);
  if (namespace && !unset(namespace)) effectiveStrict = strict(namespace);
  if (!workload) return { staticStrict: effectiveStrict };
  if (workload.mode === 'STRICT') effectiveStrict = true;
  if (lax(workload.mode)) effectiveStrict = false;
  const portModes = [...workload.portLevelMtls.values()];
  if (portModes.length === 0) return { staticStrict: effectiveStrict };
  let converted = false;
  if (workload.mode === 'STRICT') {
    if (portModes.some(lax)) [converted, effectiveStrict] = [true, false];
  } else if (lax(workload.mode)) {
    converted = portModes.includes('STRICT');
  } else if (effectiveStrict) {
    // Only PERMISSIVE is looked for here, not DISABLE: a DISABLE port keeps the static STRICT policy.
    if (portModes.includes('PERMISSIVE')) [converted, effectiveStrict] = [true, false];
  } else {
    converted = portModes.includes('STRICT');
  }
  return { staticStrict: effectiveStrict, ...(converted ? { converted: workload } : {}) };
}

/** convertPeerAuthentication: the DENY groups of a selector policy with portLevelMtls. */
function convertPeerAuthentication(
  pa: PeerAuthentication,
  ns: PeerAuthentication | undefined,
  root: PeerAuthentication | undefined,
): Rule[][] {
  const mode = pa.mode ?? 'UNSET';
  const rules: Rule[] = [];
  const groups: Rule[][] = [];
  if (mode === 'STRICT') rules.push({ kind: 'no-principal' });
  let foundNonStrict = false;
  for (const [port, portMode] of [...pa.portLevelMtls].sort(([a], [b]) => a - b)) {
    if (portMode === 'STRICT') {
      // Go's && binds tighter than ||: the mesh-STRICT clause is not limited to an UNSET workload mode,
      // so a PERMISSIVE/DISABLE workload's STRICT port is dropped under a STRICT mesh policy.
      if (
        mode === 'STRICT' ||
        (mode === 'UNSET' && strict(ns)) ||
        ((ns === undefined || unset(ns)) && strict(root))
      )
        continue;
      groups.push([{ kind: 'no-principal-on-port', port }]);
    } else if (lax(portMode)) {
      if (lax(mode)) continue;
      if (
        mode === 'UNSET' &&
        ((ns !== undefined && !strict(ns)) ||
          (ns === undefined && root !== undefined && !strict(root)) ||
          (ns === undefined && root === undefined))
      )
        continue;
      foundNonStrict = true;
      rules.push({ kind: 'not-port', port });
    }
  }
  if (mode === 'STRICT' && !foundNonStrict) return [];
  if (rules.length === 0 && groups.length === 0) return [];
  const mergeStrict =
    (strict(root) && (ns === undefined || unset(ns) || strict(ns))) || (ns !== undefined && strict(ns));
  if (mergeStrict && foundNonStrict) rules.push({ kind: 'no-principal' });
  if (rules.length > 0) groups.push(rules);
  return groups;
}

function plaintextMatches(rule: Rule, port: number): boolean {
  switch (rule.kind) {
    case 'no-principal':
      return true;
    case 'not-port':
      return port !== rule.port;
    case 'no-principal-on-port':
      return port === rule.port;
  }
}

/** How a sidecar's bytes reach an ambient pod. */
export type SidecarToAmbient =
  /** HBONE with the app's bytes inside: accepted in every mode. */
  | 'hbone'
  /** HBONE carrying the TLS the DestinationRule originates: the app must speak TLS. */
  | 'hbone-tls'
  /** No tunnel: the cluster's own TLS (or none) straight to the pod's port, where ztunnel sees plaintext. */
  | 'direct';

export function sidecarTransportToAmbient(
  ruleTls: string | undefined,
  endpointTlsMode: string,
  originalDst: boolean,
): SidecarToAmbient {
  // endpoint_builder.go: an endpoint that "supports mTLS" (its own tlsMode is istio) is not tunnelled.
  if (endpointTlsMode === 'istio') return 'direct';
  // An ORIGINAL_DST cluster keeps one transport socket (no per-endpoint HBONE match).
  if (originalDst) return 'direct';
  return ruleTls === 'SIMPLE' || ruleTls === 'MUTUAL' ? 'hbone-tls' : 'hbone';
}

/** Whether ztunnel (and then the app) accepts what arrives without a tunnel. */
export function ztunnelAcceptsDirect(
  mode: 'STRICT' | 'PERMISSIVE',
  tls: string,
  appSpeaksTls: boolean,
): boolean {
  if (mode === 'STRICT') return false;
  // Istio mTLS is not terminated on the pod's port (only HBONE on 15008 is): the app gets TLS it cannot
  // read. TLS the rule originated reaches an app that speaks TLS.
  if (tls === 'ISTIO_MUTUAL') return false;
  if (tls === 'SIMPLE' || tls === 'MUTUAL') return appSpeaksTls;
  return true;
}
