// Which TLS each backend of a service port accepts from a sidecar client: Istio mTLS, plaintext, and
// auto mTLS's choice per endpoint once the DestinationRule sets no tls. A fix to a rule's tls must
// suit every backend behind the port, not only the one whose call failed: a service with pods with a
// sidecar under STRICT and pods without one needs mTLS for the first and plaintext for the others.
import { ISTIO_TLS_MODE } from '../snapshot/endpoint-tls-mode.js';
import type { ClientTlsMode, Labels, Workload } from '../snapshot/types.js';
import { sidecarTransportToAmbient } from './ambient.js';
import { accepts, type ServerSide } from './connectivity.js';
import type { MergedDestinationRule } from './destination-rules.js';
import type { ResolvedMesh } from './resolve.js';
import { selectorMatches } from './selectors.js';
import { backendsForPort, portExpectsTls, type ServiceTarget, type TargetPort } from './targets.js';

export interface BackendTls {
  readonly workload: Workload;
  readonly istioMutual: boolean;
  readonly disable: boolean;
  /** Reached by auto mTLS (the rule without tls); false where auto mTLS does not choose per endpoint. */
  readonly auto: boolean;
}

export function tlsEachBackendAccepts(
  mesh: ResolvedMesh,
  target: ServiceTarget,
  port: TargetPort,
  options: { readonly rule?: MergedDestinationRule; readonly subsetLabels?: Labels } = {},
): BackendTls[] {
  const perEndpoint = autoMtlsChoosesPerEndpoint(mesh, target, port, options.rule);
  const appSpeaksTls = portExpectsTls(port);
  const { subsetLabels } = options;
  return backendsForPort(target, port)
    .filter((b) => b.targetPort !== undefined)
    .filter((b) => !subsetLabels || selectorMatches(subsetLabels, b.workload.podLabels))
    .map((b) => {
      const server = mesh.evaluator.serverSide(b);
      const takes = (tls: ClientTlsMode) => reaches(server, tls, appSpeaksTls, target.headless);
      return {
        workload: b.workload,
        istioMutual: takes('ISTIO_MUTUAL'),
        disable: takes('DISABLE'),
        auto: perEndpoint && takes(autoMtlsSends(server)),
      };
    });
}

function reaches(
  server: ServerSide,
  tls: ClientTlsMode,
  appSpeaksTls: boolean,
  originalDst: boolean,
): boolean {
  // A sidecar tunnels to an ambient pod over HBONE, which every mode accepts (ambient.ts).
  if (
    server.serverProxy === 'ambient' &&
    sidecarTransportToAmbient(tls, server.tlsMode, originalDst) === 'hbone'
  )
    return true;
  return accepts(server, tls, appSpeaksTls);
}

/**
 * Auto mTLS per endpoint with no tls in the rule (mtls_checker.go checkMtlsEnabled): Istio mTLS to an
 * endpoint labelled tlsMode istio whose own policy for the port is not DISABLE, plaintext to the rest.
 */
function autoMtlsSends(server: ServerSide): ClientTlsMode {
  return server.tlsMode === ISTIO_TLS_MODE && server.policyMode !== 'DISABLE' ? 'ISTIO_MUTUAL' : 'DISABLE';
}

/**
 * Whether auto mTLS chooses per endpoint for the port once the rule sets no tls (as connectivity.ts
 * clientSide decides): on in the mesh, a service inside it, no namespace-wide DISABLE, and a cluster
 * with one transport socket per endpoint (not headless, no PASSTHROUGH load balancer).
 */
function autoMtlsChoosesPerEndpoint(
  mesh: ResolvedMesh,
  target: ServiceTarget,
  port: TargetPort,
  rule: MergedDestinationRule | undefined,
): boolean {
  if (!mesh.snapshot.meshConfig.enableAutoMtls || target.external || target.headless) return false;
  if (mesh.peerAuthentications.namespaceMode(target.namespace)?.mode === 'DISABLE') return false;
  const policy = rule?.trafficPolicy;
  const portPolicy = policy?.portLevelSettings.find((p) => p.port === port.port);
  return ![policy?.loadBalancerSimple, portPolicy?.loadBalancerSimple].some(
    (lb) => lb?.toUpperCase() === 'PASSTHROUGH',
  );
}
