// The catalogue of finding codes (design.md §3). Codes are a public contract: add, never rename.

export type Severity = 'error' | 'warning' | 'info';

export interface CodeInfo {
  readonly title: string;
  readonly severity: Severity;
  /** The field guide's error this code covers, if any. */
  readonly guide?: string;
}

export const CATALOGUE = {
  'strict-plaintext-clients': {
    title: 'STRICT port has clients that can only send plaintext',
    severity: 'error',
    guide: 'error 1',
  },
  'destinationrule-tls-conflict': {
    title: "DestinationRule TLS contradicts the server's mTLS mode",
    severity: 'error',
    guide: 'error 2',
  },
  'certificate-expired': {
    title: 'Certificate expired or not yet valid',
    severity: 'error',
    guide: 'error 3',
  },
  'certificate-expiring': { title: 'Certificate expires soon', severity: 'warning', guide: 'error 3' },
  'certificate-untrusted': {
    title: 'Certificate does not chain to the mesh root',
    severity: 'error',
    guide: 'error 3',
  },
  'certificate-missing': { title: 'Certificate or mesh root missing', severity: 'error', guide: 'error 3' },
  'certificate-invalid': {
    title: 'Certificate material cannot be parsed',
    severity: 'error',
    guide: 'error 3',
  },
  'ca-root-mismatch': {
    title: "Namespace root certificate differs from the CA's root",
    severity: 'error',
    guide: 'error 3',
  },
  'certificate-identity-mismatch': {
    title: 'Certificate SPIFFE identity is wrong',
    severity: 'error',
    guide: 'error 3',
  },
  'serviceentry-tls-origination': {
    title: 'External service with wrong or missing TLS settings',
    severity: 'error',
    guide: 'error 4',
  },
  'auto-mtls-disabled': { title: 'Auto mTLS is disabled', severity: 'error', guide: 'error 5' },
  'peerauthentication-conflict': {
    title: 'Several PeerAuthentications compete for one scope',
    severity: 'warning',
  },
  'port-level-mtls-ignored': {
    title: 'portLevelMtls or selector policy that Istio ignores',
    severity: 'error',
    guide: 'error 1, solution 2',
  },
  'port-level-mtls-service-port': {
    title: 'portLevelMtls names a Service port instead of the target port',
    severity: 'error',
  },
  'selector-matches-nothing': { title: 'Selector matches no workload', severity: 'warning' },
  'sidecar-missing': {
    title: 'Workloads without a proxy where policy expects mTLS',
    severity: 'warning',
    guide: 'migration step 2',
  },
  'admission-webhook-strict': {
    title: 'STRICT webhook port: the API server (no sidecar) is reset',
    severity: 'error',
  },
  'probe-rewrite-disabled': {
    title: 'STRICT with probe rewrite off: kubelet probes fail',
    severity: 'error',
  },
  'inbound-port-excluded': {
    title: 'Port excluded from the sidecar: mTLS clients fail, STRICT not enforced',
    severity: 'error',
  },
  'strict-under-namespace-disable': {
    title: 'Workload STRICT under a namespace or mesh DISABLE',
    severity: 'error',
  },
  'destinationrule-shadowed': {
    title: "A DestinationRule overrides the TLS the service's owner set",
    severity: 'warning',
  },
  'destinationrule-host-not-found': {
    title: 'DestinationRule host matches no Service or ServiceEntry',
    severity: 'warning',
  },
  'mesh-not-strict': {
    title: 'The mesh or a namespace still accepts plaintext',
    severity: 'info',
    guide: 'migration',
  },
  'headless-service-plaintext': {
    title: 'Headless service with a proxy-less endpoint: auto mTLS sends plaintext to all',
    severity: 'error',
  },
  'outbound-port-excluded': {
    title: "Client's outbound port bypasses its sidecar: plaintext to a STRICT server",
    severity: 'error',
  },
  'destinationrule-credentialname-ignored': {
    title: 'credentialName without workloadSelector: sidecars ignore the TLS settings',
    severity: 'warning',
  },
  'tlsmode-label-mismatch': {
    title: "Pod label security.istio.io/tlsMode contradicts the pod's proxy: auto mTLS picks the wrong TLS",
    severity: 'error',
  },
  'destinationrule-san-mismatch': {
    title: "DestinationRule subjectAltNames exclude the server's SPIFFE identity: the TLS handshake fails",
    severity: 'error',
  },
  'port-passthrough-mtls': {
    title:
      'Port-level loadBalancer PASSTHROUGH: auto mTLS sends Istio mTLS to every endpoint, with or without a sidecar',
    severity: 'error',
  },
  'service-not-visible-passthrough': {
    title:
      'The client sidecar cannot see the service (exportTo or Sidecar egress): ALLOW_ANY sends plaintext through PassthroughCluster, a STRICT server resets it',
    severity: 'error',
  },
  'service-not-visible-blackhole': {
    title:
      'The client proxy cannot see the service (exportTo or Sidecar egress) and has nowhere to send the call: REGISTRY_ONLY drops it (BlackHoleCluster), a gateway has no cluster for it',
    severity: 'error',
  },
  'ambient-peerauthentication-disable': {
    title: 'PeerAuthentication DISABLE on an ambient workload: ztunnel treats it as PERMISSIVE',
    severity: 'warning',
  },
  'ambient-port-level-mtls': {
    title:
      "portLevelMtls that ztunnel does not apply as written: an ambient port's plaintext exception is dropped, or its STRICT is not enforced",
    severity: 'error',
  },
  'waypoint-not-found': {
    title: 'istio.io/use-waypoint names a waypoint that does not exist: traffic bypasses it',
    severity: 'warning',
  },
  'waypoint-attachment-denied': {
    title:
      'istio.io/use-waypoint names a waypoint whose listener does not admit the namespace (allowedRoutes): not used',
    severity: 'warning',
  },
  'waypoint-traffic-type': {
    title:
      'istio.io/use-waypoint names a waypoint for another traffic type (istio.io/waypoint-for): not used',
    severity: 'warning',
  },
  'authorization-requires-mtls': {
    title:
      'An AuthorizationPolicy needs a peer identity (mTLS) that the calls do not carry: plaintext callers are denied',
    severity: 'error',
  },
  'authorization-denied': {
    title:
      "An AuthorizationPolicy denies the caller's own mTLS identity: not an mTLS problem, the policy refuses it",
    severity: 'error',
  },
  'deny-bypassed-by-plaintext': {
    title:
      'A DENY AuthorizationPolicy names callers by their mTLS identity on a port that accepts plaintext: a plaintext call carries none, so the callers it names get through',
    severity: 'warning',
  },
  'istioctl-analyze': { title: 'Reported by istioctl analyze', severity: 'warning' },
} as const satisfies Record<string, CodeInfo>;

export type FindingCode = keyof typeof CATALOGUE;
