// MeshSnapshot: one immutable, plain-data picture of everything the analysis needs.
// The same type comes from manifests (snapshot/manifests.ts) and, later, a live cluster,
// so every analyzer is testable from fixtures.

export type Labels = Readonly<Record<string, string>>;

/** Where an object came from: a manifest file and line, or a live cluster object. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
}

export interface Ref {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

export interface ObjectMeta {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Labels;
  readonly annotations: Labels;
  /** RFC 3339; Istio breaks ties between policies of one scope by this (oldest wins). */
  readonly creationTimestamp?: string;
  /**
   * Exists already though its creationTimestamp is unknown (an object a diff's base read from files
   * also holds): older than whatever the change creates. Set by src/impact/existing-ages.ts.
   */
  readonly existedBefore?: true;
  readonly resourceVersion?: string;
  readonly source?: SourceLocation;
}

export interface NamespaceInfo {
  readonly name: string;
  readonly labels: Labels;
  readonly source?: SourceLocation;
}

export type ProxyKind = 'sidecar' | 'ambient' | 'none';

export interface ContainerPort {
  readonly containerPort: number;
  readonly name?: string;
}

export interface Workload {
  readonly kind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet' | 'Job' | 'CronJob' | 'Pod';
  readonly meta: ObjectMeta;
  /** Pod (template) labels: what selectors match. */
  readonly podLabels: Labels;
  readonly podAnnotations: Labels;
  readonly serviceAccount: string;
  readonly containerNames: readonly string[];
  readonly ports: readonly ContainerPort[];
  readonly hostNetwork: boolean;
  /**
   * The container ports its httpGet and gRPC probes call (kubelet probes that need Istio's probe rewrite
   * under STRICT), named ports resolved in the probe's container (probe-ports.ts).
   */
  readonly httpProbePorts: readonly number[];
  readonly proxy: ProxyKind;
  /** Why we think so: "namespace label istio-injection=enabled", "istio-proxy container", ... */
  readonly proxyReason: string;
  /** Names of the running pods behind it (live cluster or pod manifests); empty for templates. */
  readonly podNames: readonly string[];
  /**
   * Running pods that disagree: some with an istio-proxy container, some without. The workload is
   * then judged by a pod without (its calls leave as plaintext), and says so.
   */
  readonly mixedPods?: { readonly withSidecar: readonly string[]; readonly without: readonly string[] };
  /**
   * The pod's `security.istio.io/tlsMode` as istiod reads it for its endpoints (kube/conversion.go
   * PodTLSMode: the label, else "disabled"); for a template, what the injector would set ("istio" on
   * injected pods unless the template sets the label). Absent: derive it from labels and proxy.
   */
  readonly tlsMode?: string;
  /**
   * Set when the proxy is a gateway (Envoy node type router), with the reason: gateways honour a
   * DestinationRule's credentialName, ignore Sidecar resources and PeerAuthentication (snapshot/gateway-proxy.ts).
   */
  readonly gateway?: { readonly reason: string };
}

export interface ServicePort {
  readonly name?: string;
  readonly port: number;
  /** A number, or a named container port to look up in each backend workload. */
  readonly targetPort: number | string;
  readonly protocol: string;
  readonly appProtocol?: string;
}

export interface Service {
  readonly meta: ObjectMeta;
  readonly selector?: Labels;
  readonly ports: readonly ServicePort[];
  readonly headless: boolean;
  readonly type: string;
  /** spec.clusterIP when it is an address (not None, not empty): what a client's own iptables see. */
  readonly clusterIP?: string;
  /**
   * The annotation `networking.istio.io/exportTo`, split at commas (kube/conversion.go ConvertService);
   * empty: meshConfig.defaultServiceExportTo applies.
   */
  readonly exportTo?: readonly string[];
}

export type MtlsMode = 'UNSET' | 'DISABLE' | 'PERMISSIVE' | 'STRICT';

export interface PeerAuthentication {
  readonly meta: ObjectMeta;
  /** undefined or empty: namespace-wide (or mesh-wide in the root namespace). */
  readonly selector?: Labels;
  /** undefined when the policy has no `mtls` block (same as UNSET: inherit). */
  readonly mode?: MtlsMode;
  readonly portLevelMtls: ReadonlyMap<number, MtlsMode>;
}

/** `from[].source` of an AuthorizationPolicy rule: each field a list of values (absent: not set). */
export interface AuthorizationSource {
  readonly principals?: readonly string[];
  readonly notPrincipals?: readonly string[];
  readonly requestPrincipals?: readonly string[];
  readonly notRequestPrincipals?: readonly string[];
  readonly namespaces?: readonly string[];
  readonly notNamespaces?: readonly string[];
  readonly serviceAccounts?: readonly string[];
  readonly notServiceAccounts?: readonly string[];
  readonly trustDomains?: readonly string[];
  readonly notTrustDomains?: readonly string[];
  readonly ipBlocks?: readonly string[];
  readonly notIpBlocks?: readonly string[];
  readonly remoteIpBlocks?: readonly string[];
  readonly notRemoteIpBlocks?: readonly string[];
}

/** `to[].operation` of an AuthorizationPolicy rule. */
export interface AuthorizationOperation {
  readonly hosts?: readonly string[];
  readonly notHosts?: readonly string[];
  readonly ports?: readonly string[];
  readonly notPorts?: readonly string[];
  readonly methods?: readonly string[];
  readonly notMethods?: readonly string[];
  readonly paths?: readonly string[];
  readonly notPaths?: readonly string[];
}

export interface AuthorizationCondition {
  readonly key: string;
  readonly values?: readonly string[];
  readonly notValues?: readonly string[];
}

/** One rule; a `from` entry without `source` (or a `to` without `operation`) is undefined: it matches all. */
export interface AuthorizationRule {
  readonly from?: readonly (AuthorizationSource | undefined)[];
  readonly to?: readonly (AuthorizationOperation | undefined)[];
  readonly when?: readonly AuthorizationCondition[];
}

/** A security.istio.io AuthorizationPolicy (v1 or v1beta1): only what decides who it lets in. */
export interface AuthorizationPolicy {
  readonly meta: ObjectMeta;
  /** matchLabels of spec.selector; undefined: every workload of its namespace (the mesh's, in the root namespace). */
  readonly selector?: Labels;
  /** spec.targetRef / spec.targetRefs set: the policy binds to gateways, waypoints or Services, never by selector. */
  readonly targetRefs: readonly Ref[];
  /** spec.action as written (ALLOW when absent); Istio ignores a policy with another value. */
  readonly action: string;
  readonly rules: readonly AuthorizationRule[];
}

export type ClientTlsMode = 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL';

export interface ClientTlsSettings {
  readonly mode: ClientTlsMode;
  readonly sni?: string;
  readonly caCertificates?: string;
  readonly credentialName?: string;
  readonly clientCertificate?: string;
  readonly privateKey?: string;
  readonly insecureSkipVerify?: boolean;
  readonly subjectAltNames?: readonly string[];
}

export interface PortTrafficPolicy {
  readonly port: number;
  readonly tls?: ClientTlsSettings;
  /** `loadBalancer.simple` of the port entry (PASSTHROUGH makes the port's cluster ORIGINAL_DST). */
  readonly loadBalancerSimple?: string;
}

export interface TrafficPolicy {
  readonly tls?: ClientTlsSettings;
  readonly portLevelSettings: readonly PortTrafficPolicy[];
  readonly loadBalancerSimple?: string;
}

export interface Subset {
  readonly name: string;
  readonly labels: Labels;
  readonly trafficPolicy?: TrafficPolicy;
}

export interface DestinationRule {
  readonly meta: ObjectMeta;
  readonly host: string;
  readonly exportTo: readonly string[];
  readonly workloadSelector?: Labels;
  readonly trafficPolicy?: TrafficPolicy;
  readonly subsets: readonly Subset[];
}

/** One destination of a VirtualService route (`route[].destination`). */
export interface RouteDestination {
  readonly host: string;
  readonly subset?: string;
  readonly port?: number;
}

/** An http, tcp or tls route of a VirtualService: which ports it matches, where it sends traffic. */
export interface VirtualServiceRoute {
  readonly kind: 'http' | 'tcp' | 'tls';
  /** Field path of the route (`spec.http[0]`). */
  readonly path: string;
  /** Ports named by its matches; undefined when some match (or no match) accepts any port. */
  readonly ports?: readonly number[];
  readonly destinations: readonly RouteDestination[];
}

export interface VirtualService {
  readonly meta: ObjectMeta;
  readonly hosts: readonly string[];
  /** Empty: bound to sidecars (`mesh`) only. */
  readonly gateways: readonly string[];
  readonly exportTo: readonly string[];
  readonly routes: readonly VirtualServiceRoute[];
}

export interface ServiceEntryPort {
  readonly number: number;
  readonly name: string;
  readonly protocol: string;
  readonly targetPort?: number;
}

export interface ServiceEntry {
  readonly meta: ObjectMeta;
  readonly hosts: readonly string[];
  readonly addresses: readonly string[];
  readonly ports: readonly ServiceEntryPort[];
  readonly location: 'MESH_EXTERNAL' | 'MESH_INTERNAL';
  readonly resolution: string;
  readonly exportTo: readonly string[];
  readonly workloadSelector?: Labels;
}

export type OutboundTrafficPolicyMode = 'ALLOW_ANY' | 'REGISTRY_ONLY' | 'ALLOW_ANY_DYNAMIC_DNS';

/** A `kind: Sidecar` (networking.istio.io): which services its proxies import, and where the rest goes. */
export interface SidecarResource {
  readonly meta: ObjectMeta;
  readonly workloadSelector?: Labels;
  /** Empty: one listener importing every host of every namespace (sidecar.go initSidecarScopeInternalIndexes). */
  readonly egress: readonly {
    readonly port?: number;
    readonly protocol?: string;
    readonly hosts: readonly string[];
  }[];
  readonly outboundTrafficPolicy?: OutboundTrafficPolicyMode;
}

/**
 * A Kubernetes Gateway (gateway.networking.k8s.io) that `istio.io/use-waypoint` can name: istiod builds
 * its waypoints from Gateways (pilot/pkg/serviceregistry/ambient/waypoints.go WaypointsCollection).
 */
export interface WaypointGateway {
  readonly meta: ObjectMeta;
  readonly gatewayClassName: string;
  /** The Gateway's label istio.io/waypoint-for; undefined: the class's label, else "service". */
  readonly trafficType?: string;
  /**
   * Which namespaces may use it: allowedRoutes.namespaces of its HBONE listener (port 15008), "Same"
   * when absent (istio waypoints.go makeAllowedRoutes / makeWaypointSelector).
   */
  readonly allowedRoutes: { readonly from: 'All' | 'Same' | 'Selector'; readonly selector?: LabelSelector };
  /** The Gateway has a status without addresses: istiod has not programmed it, it is no waypoint yet. */
  readonly unprogrammed?: boolean;
}

export interface MeshConfig {
  readonly rootNamespace: string;
  readonly enableAutoMtls: boolean;
  readonly trustDomain: string;
  /**
   * Former or peer trust domains treated as this one: peers accept certificates of them, and
   * AuthorizationPolicy principals and service SANs are expanded to them. Absent when none.
   */
  readonly trustDomainAliases?: readonly string[];
  readonly defaultDestinationRuleExportTo?: readonly string[];
  /** Services without their own exportTo are exported here (push_context.go initDefaultExportMaps); default `*`. */
  readonly defaultServiceExportTo?: readonly string[];
  /** `outboundTrafficPolicy.mode`: where a sidecar sends calls to services it cannot see (default ALLOW_ANY). */
  readonly outboundTrafficPolicy?: OutboundTrafficPolicyMode;
  /**
   * `defaultConfig.proxyMetadata`: the proxies' environment, which the injection template also reads
   * (ISTIO_META_ENABLE_HBONE "true" makes injected pods accept HBONE and labels them for it).
   */
  readonly defaultProxyMetadata?: Labels;
  /** Set when the mesh ConfigMap was read; absent means Istio's defaults apply. */
  readonly source?: Ref & { readonly location?: SourceLocation };
  /** The ConfigMap's `mesh` text as found, so a fix can patch it without losing other settings. */
  readonly meshText?: string;
}

export interface InjectorConfig {
  /** `sidecarInjectorWebhook.rewriteAppHTTPProbe` in the injector values (Istio default: true). */
  readonly rewriteAppHTTPProbe: boolean;
  readonly source?: Ref & { readonly location?: SourceLocation };
}

/**
 * The mesh config and injector values of a revision other than the one checked, as found in the input:
 * istiod of revision R reads ConfigMap `istio-R` for the proxies it serves (snapshot/revision-configs.ts).
 */
export interface RevisionConfig {
  readonly revision: string;
  readonly meshConfig?: MeshConfig;
  readonly injector?: InjectorConfig;
}

/** PEM material found in the cluster or manifests; parsed and judged by certs/. */
export interface CertificateSource {
  /** workload-chain: a proxy's own chain (secret `default`); workload-root: the roots it trusts (`ROOTCA`). */
  readonly role: 'namespace-root' | 'ca-root' | 'ca-cert' | 'ca-chain' | 'workload-chain' | 'workload-root';
  readonly owner: Ref;
  /** The key inside the ConfigMap/Secret (`root-cert.pem`, `ca.crt`, ...). */
  readonly key: string;
  readonly pem: string;
  readonly location?: SourceLocation;
  /** For workload certificates: the identity the SPIFFE URI must carry. */
  readonly identity?: { readonly namespace: string; readonly serviceAccount: string };
}

export interface Gap {
  /** What could not be read: `peerauthentications.security.istio.io list`, `istioctl analyze`, a file path. */
  readonly source: string;
  readonly reason: string;
  /** A cross-check that could not run (istioctl missing): shown everywhere, but the core check is complete. */
  readonly optional?: boolean;
}

/** One sidecar-injector webhook of a MutatingWebhookConfiguration (name ending `sidecar-injector.istio.io`). */
export interface InjectionWebhook {
  readonly configuration: string;
  readonly name: string;
  readonly namespaceSelector?: LabelSelector;
  readonly objectSelector?: LabelSelector;
}

/**
 * A webhook the Kubernetes API server calls, from a Validating- or MutatingWebhookConfiguration whose
 * clientConfig names a Service. The API server has no sidecar: it sends its own TLS, not Istio mTLS.
 */
export interface AdmissionWebhook {
  readonly configuration: { readonly kind: string; readonly name: string };
  readonly name: string;
  readonly service: { readonly namespace: string; readonly name: string; readonly port: number };
  /** Fail (the default) rejects the API request when the call fails; Ignore lets it through unchecked. */
  readonly failurePolicy: 'Fail' | 'Ignore';
  readonly source?: SourceLocation;
}

export interface LabelSelector {
  readonly matchLabels?: Labels;
  readonly matchExpressions?: readonly {
    readonly key: string;
    readonly operator: string;
    readonly values?: readonly string[];
  }[];
}

export interface MeshSnapshot {
  readonly namespaces: readonly NamespaceInfo[];
  readonly workloads: readonly Workload[];
  readonly services: readonly Service[];
  readonly peerAuthentications: readonly PeerAuthentication[];
  readonly destinationRules: readonly DestinationRule[];
  readonly serviceEntries: readonly ServiceEntry[];
  /** VirtualServices; absent when the source does not read them. */
  readonly virtualServices?: readonly VirtualService[];
  /** `kind: Sidecar` resources; absent when the source does not read them. */
  readonly sidecars?: readonly SidecarResource[];
  /** Kubernetes Gateways (possible waypoints); absent when the source did not or could not read them. */
  readonly waypointGateways?: readonly WaypointGateway[];
  readonly meshConfig: MeshConfig;
  readonly injector: InjectorConfig;
  /** Other revisions' configs: not modelled, but their workloads' gaps and a diff name them. */
  readonly otherRevisions?: readonly RevisionConfig[];
  readonly certificates: readonly CertificateSource[];
  readonly gaps: readonly Gap[];
  /** Whether the source listed `istio-ca-root-cert` in every namespace (live), so a missing one means something. */
  readonly collectedRootCertConfigMaps: boolean;
  /**
   * Istio's sidecar-injector webhooks, when the input holds them; undefined when it does not (then the
   * default revision's webhooks are assumed, with a webhook for any `istio.io/rev`).
   */
  readonly injectionWebhooks?: readonly InjectionWebhook[];
  /** Admission webhooks served in the cluster; absent when the source does not read them. */
  readonly admissionWebhooks?: readonly AdmissionWebhook[];
  /** security.istio.io AuthorizationPolicies; absent when the source does not read them. */
  readonly authorizationPolicies?: readonly AuthorizationPolicy[];
}

export const DEFAULT_MESH_CONFIG: MeshConfig = {
  rootNamespace: 'istio-system',
  enableAutoMtls: true,
  trustDomain: 'cluster.local',
};

/**
 * A workload's identity: kind, namespace and name (a Deployment and a CronJob may share a name), from
 * the workload or from a reference to it.
 */
export function workloadKey(w: Pick<Workload, 'kind' | 'meta'> | Ref): string {
  return 'meta' in w
    ? `${w.kind}/${w.meta.namespace}/${w.meta.name}`
    : `${w.kind}/${w.namespace ?? ''}/${w.name}`;
}

export function formatRef(ref: Ref): string {
  return ref.namespace ? `${ref.kind} ${ref.namespace}/${ref.name}` : `${ref.kind} ${ref.name}`;
}
