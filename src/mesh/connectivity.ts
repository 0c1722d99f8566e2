// What happens when a client calls a service port: the TLS the client side sends to each backend,
// what the server side accepts, and the outcome. Client side follows istio/istio:
// pilot/pkg/networking/core/cluster_tls.go (buildUpstreamTLSSettings), pilot/pkg/model/push_context.go
// (BestEffortInferServiceMTLSMode), pilot/pkg/xds/endpoints/mtls_checker.go (checkMtlsEnabled) and
// endpoint_builder.go (buildEnvoyLbEndpoint: the per-endpoint tlsMode metadata the transport socket
// match reads). Before any of that, the client must see the service at all (visibility.ts: exportTo,
// Sidecar egress, outboundTrafficPolicy). Server side follows pilot/pkg/networking/core/filterchain_options.go
// (chains per mode).
import { parse as parseYaml } from 'yaml';
import type { FindingCode } from '../analyzers/catalogue.js';
import { DISABLED_TLS_MODE, endpointTlsMode, ISTIO_TLS_MODE } from '../snapshot/endpoint-tls-mode.js';
import type {
  ClientTlsMode,
  Labels,
  MeshConfig,
  ProxyKind,
  Subset,
  VirtualService,
  Workload,
} from '../snapshot/types.js';
import {
  type AmbientModeDecision,
  sidecarTransportToAmbient,
  ztunnelAcceptsDirect,
  ztunnelInboundMode,
} from './ambient.js';
import {
  type AuthorizationDenial,
  type AuthorizationIndex,
  denialSymptom,
  type Enforcer,
  type FilterChain,
  type PeerIdentity,
} from './authorization.js';
import type { DestinationRuleIndex, DestinationRuleMatch, ResolvedTls } from './destination-rules.js';
import { resolveTls } from './destination-rules.js';
import { type ExternalTlsFailure, externalTlsFailure } from './external-tls.js';
import {
  OUTBOUND_EXCLUDE_PORTS,
  type OutboundBypass,
  type OutboundRanges,
  outboundRanges,
  parsePortList,
  rangeBypass,
} from './outbound-capture.js';
import { isTrue } from './parse-bool.js';
import { filterChain, portProtocol } from './port-protocol.js';
import type { RouteChoice, VirtualServiceIndex } from './routes.js';
import { selectorMatches } from './selectors.js';
import type { EffectiveMode, ModeDecision, PeerAuthenticationIndex } from './server-mode.js';
import {
  type Backend,
  backendsForPort,
  portExpectsTls,
  type ServiceTarget,
  type TargetPort,
} from './targets.js';
import type { ServiceVisibility, Visibility } from './visibility.js';

export type ServerMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE' | 'NONE';

export interface ClientProfile {
  readonly namespace: string;
  readonly proxy: ProxyKind;
  /** Needed only where workloadSelector DestinationRules exist in the client's namespace. */
  readonly labels?: Labels;
  readonly outboundExcludedPorts?: ReadonlySet<number>;
  /** excludeOutboundIPRanges / includeOutboundIPRanges (outbound-capture.ts). */
  readonly outboundRanges?: OutboundRanges;
  /** A gateway (router) proxy: no Sidecar scope, and a DestinationRule's credentialName is honoured. */
  readonly gateway?: boolean;
  /**
   * The mTLS identity every client of the class has (or would have with a proxy): set only towards
   * servers whose AuthorizationPolicies tell identities apart (resolve.ts clientClass).
   */
  readonly identity?: PeerIdentity;
}

/** How the client side chose its TLS. */
export type TlsSource =
  | 'no-proxy'
  | 'ambient'
  | 'outbound-excluded'
  /** The sidecar cannot see the service: ALLOW_ANY sends the app's bytes through PassthroughCluster. */
  | 'passthrough'
  /** The sidecar cannot see the service and outboundTrafficPolicy is REGISTRY_ONLY: BlackHoleCluster. */
  | 'blackhole'
  | 'destination-rule'
  | 'credential-ignored'
  | 'external-no-rule'
  | 'auto-mtls-off'
  | 'namespace-disable'
  | 'headless-fallback'
  | 'headless-mtls'
  | 'port-passthrough-mtls'
  | 'auto-mtls';

export interface BackendOutcome {
  /** undefined for a MESH_EXTERNAL destination: the server is outside the cluster. */
  readonly backend?: Backend;
  readonly tls: ClientTlsMode;
  readonly serverProxy: ProxyKind;
  readonly serverMode: ServerMode;
  readonly decision?: ModeDecision;
  readonly inboundExcluded: boolean;
  /** The endpoint's own tlsMode (pod label security.istio.io/tlsMode, see snapshot/endpoint-tls-mode.ts). */
  readonly tlsMode?: string;
  /** The SPIFFE identity the server presents, when a rule's subjectAltNames rejected it. */
  readonly serverIdentity?: string;
  /** The server is a gateway: its listeners come from Gateway resources, not PeerAuthentication. */
  readonly serverGateway?: boolean;
  /** The DestinationRule subset whose cluster reached this backend (a VirtualService routed there). */
  readonly subset?: string;
  /** The server's AuthorizationPolicies deny the call: it has no peer identity, or one they refuse. */
  readonly authorization?: AuthorizationDenial;
  readonly ok: boolean;
  readonly reason: FindingCode | 'ok';
  readonly symptom: string;
}

export interface PairOutcome {
  readonly ok: boolean;
  readonly clientProxy: ProxyKind;
  /** TLS towards the first failing backend (or the first backend). */
  readonly tls: ClientTlsMode;
  readonly tlsSource: TlsSource;
  readonly rule?: DestinationRuleMatch;
  readonly resolvedTls?: ResolvedTls;
  /** Set when the client sidecar cannot see the service (why, and where the call went instead). */
  readonly hidden?: Visibility;
  /** The VirtualService that sends the client's calls to subsets, and the subsets it reaches. */
  readonly route?: {
    readonly virtualService: VirtualService;
    readonly subsets: readonly (string | undefined)[];
  };
  /** The port's entry sets no tls, but the rule's top-level tls decided which endpoints get mTLS (EDS). */
  readonly endpointTlsFromTopLevel: boolean;
  readonly serverProxy: ProxyKind;
  readonly serverMode: ServerMode;
  readonly reason: FindingCode | 'ok';
  readonly symptom: string;
  /**
   * The backends this client fails to reach. Those it reaches are not kept: every evaluated pair is
   * (ResolvedMesh's pair cache), most pass, and what a passing backend shows is in the fields above.
   */
  readonly failing: readonly BackendOutcome[];
}

export const SYMPTOMS = {
  ok: 'ok',
  reset: 'connection reset by peer (curl: (56) Recv failure; HTTP status 000)',
  tlsToPlaintext:
    '503 upstream connect error or disconnect/reset before headers, TLS error (Envoy flags UF,URX)',
  noClientCert:
    '503 upstream connect error or disconnect/reset before headers, TLS error: handshake failure, the server sidecar wants an Istio client certificate (UF,URX)',
  plaintextToTlsPort: '400 plain HTTP request sent to an HTTPS port, or connection reset',
  doubleTls: 'TLS handshake failure (TLS wrapped in TLS: "wrong version number")',
  blackholeHttp:
    '502 Bad Gateway from the client\'s own sidecar (route "block_all" of the BlackHole virtual host)',
  gatewayNoCluster:
    '503 from the gateway: its route names a cluster it does not have (Envoy flag NC; 500 for Gateway API routes)',
  blackholeTcp:
    "connection reset by the client's own sidecar (BlackHoleCluster; curl: (56) Recv failure, HTTP status 000)",
  sanMismatch:
    "503 upstream connect error or disconnect/reset before headers, TLS error: CERTIFICATE_VERIFY_FAILED (the server's SPIFFE identity is not among the rule's subjectAltNames; UF,URX)",
} as const;

const INBOUND_EXCLUDE = 'traffic.sidecar.istio.io/excludeInboundPorts';
const INBOUND_INCLUDE = 'traffic.sidecar.istio.io/includeInboundPorts';

/** The workload's excludeOutboundPorts, or undefined when it sets none. */
export function outboundExcludedPorts(workload: Workload): ReadonlySet<number> | undefined {
  const value = workload.podAnnotations[OUTBOUND_EXCLUDE_PORTS];
  return value ? parsePortList(value) : undefined;
}

/** Whether the workload's outbound capture differs from Istio's default (ports or IP ranges). */
export function hasOwnOutboundCapture(workload: Workload): boolean {
  return !!workload.podAnnotations[OUTBOUND_EXCLUDE_PORTS] || !!outboundRanges(workload);
}

/** Why the client's call to the target port leaves its pod without passing its sidecar, if it does. */
export function outboundBypass(
  client: ClientProfile,
  target: ServiceTarget,
  port: TargetPort,
): OutboundBypass | undefined {
  if (client.proxy !== 'sidecar') return undefined;
  const ports = client.outboundExcludedPorts;
  if (ports && ports.size > 0 && ports.has(port.port))
    return { annotation: OUTBOUND_EXCLUDE_PORTS, value: [...ports].join(',') };
  const ranges = client.outboundRanges;
  return ranges ? rangeBypass(ranges, target.service?.clusterIP, port.port) : undefined;
}

/**
 * An ambient pod annotated ambient.istio.io/bypass-inbound-capture: Istio CNI does not redirect its
 * inbound plaintext to ztunnel (iptables.go: no REDIRECT when IngressMode; net.go reads the annotation).
 */
function bypassesInboundCapture(workload: Workload): boolean {
  return isTrue(workload.podAnnotations['ambient.istio.io/bypass-inbound-capture']);
}

export function isInboundExcluded(workload: Workload, port: number): boolean {
  const excluded = workload.podAnnotations[INBOUND_EXCLUDE];
  if (excluded && parsePortList(excluded).has(port)) return true;
  const included = workload.podAnnotations[INBOUND_INCLUDE];
  if (included === undefined || included.trim() === '*') return false;
  return !parsePortList(included).has(port);
}

export function clientProfile(workload: Workload): ClientProfile {
  return {
    namespace: workload.meta.namespace,
    proxy: workload.proxy,
    labels: workload.podLabels,
    outboundExcludedPorts: outboundExcludedPorts(workload),
    outboundRanges: outboundRanges(workload),
    ...(workload.gateway ? { gateway: true } : {}),
  };
}

export interface ServerSide {
  readonly serverProxy: ProxyKind;
  readonly serverMode: ServerMode;
  readonly decision?: ModeDecision;
  readonly inboundExcluded: boolean;
  /** The endpoint's own tlsMode: what istiod, not the pod, believes about its sidecar. */
  readonly tlsMode: string;
  /**
   * The endpoint's effective PeerAuthentication mode for its port, whether or not it has a proxy: what
   * mtls_checker.go checkMtlsEnabled reads (istiod composes it from labels alone).
   */
  readonly policyMode: EffectiveMode;
  readonly serverGateway?: boolean;
  /** An ambient server: what ztunnel enforces (ambient.ts), which may differ from the policies. */
  readonly ambient?: AmbientModeDecision;
}

interface ClientSide {
  /** A fixed TLS for every backend, or undefined for auto mTLS's per-endpoint choice. */
  readonly tls?: ClientTlsMode;
  /**
   * The rule's mode as the endpoint builder reads it when the cluster itself has no tls: set when the
   * rule has a top-level tls but the port's entry has none (mtls_checker.go tlsModeForDestinationRule
   * reads the top-level mode and lets only a port entry *with* tls override it).
   */
  readonly ruleTlsMode?: ClientTlsMode;
  readonly source: TlsSource;
  readonly rule?: DestinationRuleMatch;
  readonly resolvedTls?: ResolvedTls;
  readonly hidden?: Visibility;
}

const NONE_FAILING: readonly BackendOutcome[] = Object.freeze([]);

interface PortServers {
  readonly backends: readonly Backend[];
  readonly servers: readonly ServerSide[];
  /**
   * The last pair judged against the service's cluster of this port. The groups of one target come in
   * a row, and a namespace judged apart (in case its rules differ) mostly resolves like the rest: an
   * equal client side gets the same outcome, and one that differs only in where its rule was found
   * gets the same judgement of each backend. (The client's proxy kind is the outcome's clientProxy.)
   */
  lastSide?: ClientSide;
  lastOutcome?: PairOutcome;
  /** The identity the last pair was judged with: the outcome is another one's only for the same. */
  lastIdentity?: PeerIdentity;
}

/** Whether two client sides send the same to every backend: what judge() reads of them, not the rule. */
function judgedAlike(a: ClientSide, b: ClientSide): boolean {
  return (
    a === b ||
    (a.tls === b.tls &&
      a.source === b.source &&
      a.ruleTlsMode === b.ruleTlsMode &&
      a.resolvedTls === b.resolvedTls &&
      a.hidden === b.hidden)
  );
}

// The client sides that do not depend on the service: one object each, not one per pair.
const NO_PROXY_SIDE: ClientSide = { tls: 'DISABLE', source: 'no-proxy' };
const AMBIENT_SIDE: ClientSide = { source: 'ambient' };
const OUTBOUND_EXCLUDED_SIDE: ClientSide = { tls: 'DISABLE', source: 'outbound-excluded' };

export class ConnectivityEvaluator {
  constructor(
    private readonly peerAuthentications: PeerAuthenticationIndex,
    private readonly destinationRules: DestinationRuleIndex,
    private readonly meshConfig: MeshConfig,
    private readonly visibility: ServiceVisibility,
    private readonly routes: VirtualServiceIndex,
    private readonly authorization?: AuthorizationIndex,
  ) {}

  serverSide(backend: Backend): ServerSide {
    const w = backend.workload;
    const port = backend.targetPort;
    const decision =
      port !== undefined
        ? this.peerAuthentications.modeForPort(w, port)
        : this.peerAuthentications.forWorkload(w).base;
    // Literals rather than spreads of the endpoint's fields (V8's slow path); the key order is kept.
    const tlsMode = endpointTlsMode(w);
    const policyMode = decision.mode;
    if (w.proxy === 'none')
      return { serverProxy: 'none', serverMode: 'NONE', inboundExcluded: false, tlsMode, policyMode };
    // A gateway's listeners come from Gateway resources (gateway.go buildGatewayListeners), never
    // from PeerAuthentication; judged here as what a Gateway server without tls is: plaintext.
    if (w.gateway)
      return {
        serverProxy: w.proxy,
        serverMode: 'NONE',
        inboundExcluded: false,
        serverGateway: true,
        tlsMode,
        policyMode,
      };
    if (w.proxy === 'sidecar' && port !== undefined && isInboundExcluded(w, port)) {
      return { serverProxy: 'sidecar', serverMode: 'NONE', inboundExcluded: true, tlsMode, policyMode };
    }
    if (w.proxy === 'ambient') {
      const ambient = ztunnelInboundMode(this.peerAuthentications, w, port);
      return {
        serverProxy: 'ambient',
        serverMode: ambient.mode,
        decision: ambient.decision,
        // Only HBONE reaches ztunnel then; plaintext goes straight to the app (accepts, denial).
        inboundExcluded: bypassesInboundCapture(w),
        tlsMode,
        policyMode,
        ambient,
      };
    }
    return {
      serverProxy: w.proxy,
      serverMode: decision.mode,
      decision,
      inboundExcluded: false,
      tlsMode,
      policyMode,
    };
  }

  // The backends of a target port and their server side do not depend on the client: computed once
  // per port, not once per client group (the mesh-wide check evaluates tens of thousands of pairs).
  // Kept by the port's index in target.ports (an array is much smaller than a Map per target).
  private readonly serverSides = new WeakMap<ServiceTarget, PortServers[]>();

  private portServers(target: ServiceTarget, port: TargetPort): PortServers {
    const index = target.ports.indexOf(port);
    let perTarget = this.serverSides.get(target);
    const cached = index >= 0 ? perTarget?.[index] : undefined;
    if (cached) return cached;
    const backends = backendsForPort(target, port).filter(
      (b) => b.targetPort !== undefined || target.external,
    );
    // Every field in the literal: one shape for every port, the last judgement kept in place.
    const computed: PortServers = {
      backends,
      servers: backends.map((b) => this.serverSide(b)),
      lastSide: undefined,
      lastOutcome: undefined,
    };
    if (index >= 0) {
      if (!perTarget) {
        perTarget = new Array(target.ports.length);
        this.serverSides.set(target, perTarget);
      }
      perTarget[index] = computed;
    }
    return computed;
  }

  evaluate(client: ClientProfile, target: ServiceTarget, port: TargetPort): PairOutcome {
    const whole = this.portServers(target, port);
    // One cluster per subset the client's VirtualService routes to (routes.ts), else the service's.
    const route = this.routeFor(client, target, port);
    if (!route) {
      // The service's one cluster: most pairs of a mesh, judged without the per-subset bookkeeping.
      const side = this.clientSide(client, target, port, whole.backends, whole.servers);
      const { lastSide, lastOutcome } = whole;
      if (
        lastSide &&
        lastOutcome?.clientProxy === client.proxy &&
        whole.lastIdentity === client.identity &&
        judgedAlike(lastSide, side)
      ) {
        return lastSide.rule === side.rule ? lastOutcome : withRule(lastOutcome, side.rule);
      }
      const { backends, servers } = whole;
      const n = backends.length;
      const outcomes: BackendOutcome[] = new Array(n + (target.external ? 1 : 0));
      for (let i = 0; i < n; i++)
        outcomes[i] = this.judge(
          client,
          target,
          port,
          side,
          backends[i] as Backend,
          servers[i] as ServerSide,
        );
      if (target.external) outcomes[n] = this.judgeExternal(client, port, side);
      const failing = failingOf(outcomes);
      const outcome = pairOutcome(client, side, failing[0] ?? outcomes[0], failing, undefined);
      whole.lastSide = side;
      whole.lastOutcome = outcome;
      whole.lastIdentity = client.identity;
      return outcome;
    }
    const match = this.destinationRules.lookup(
      client.namespace,
      client.labels,
      target.host,
      target.namespace,
    );
    const clusters = route.subsets.map((name) =>
      name === undefined ? undefined : match?.rule.subsets.find((s) => s.name === name),
    );
    const sides: ClientSide[] = [];
    const outcomes: BackendOutcome[] = [];
    const sideOf = new Map<BackendOutcome, ClientSide>();
    for (const subset of new Set(clusters)) {
      // EDS for a subset cluster keeps the endpoints carrying the subset's labels.
      const backends = subset
        ? whole.backends.filter((b) => selectorMatches(subset.labels, b.workload.podLabels))
        : whole.backends;
      const servers = subset ? backends.map((b) => this.serverSide(b)) : whole.servers;
      const side = this.clientSide(client, target, port, backends, servers, subset);
      sides.push(side);
      const from = outcomes.length;
      this.judgeCluster(client, target, port, side, backends, servers, subset, outcomes);
      for (let i = from; i < outcomes.length; i++) sideOf.set(outcomes[i] as BackendOutcome, side);
    }
    const failing = failingOf(outcomes);
    const shown = failing[0] ?? outcomes[0];
    const clientSide = (shown && sideOf.get(shown)) ?? (sides[0] as ClientSide);
    return pairOutcome(client, clientSide, shown, failing, route);
  }

  /** Judges each backend of one cluster (and the external server of a ServiceEntry) into `out`. */
  private judgeCluster(
    client: ClientProfile,
    target: ServiceTarget,
    port: TargetPort,
    side: ClientSide,
    backends: readonly Backend[],
    servers: readonly ServerSide[],
    subset: Subset | undefined,
    out: BackendOutcome[],
  ): void {
    for (let i = 0; i < backends.length; i++) {
      const o = this.judge(client, target, port, side, backends[i] as Backend, servers[i] as ServerSide);
      out.push(subset ? { ...o, subset: subset.name } : o);
    }
    if (target.external) out.push(this.judgeExternal(client, port, side));
  }

  /** The VirtualService routes of a sidecar client that sees the service (gateways bind theirs to Gateways). */
  private routeFor(client: ClientProfile, target: ServiceTarget, port: TargetPort): RouteChoice | undefined {
    if (client.proxy !== 'sidecar' || client.gateway || this.routes.isEmpty) return undefined;
    if (outboundBypass(client, target, port)) return undefined;
    if (!this.visibility.forSidecarClient(client.namespace, client.labels, target, port.port).visible)
      return undefined;
    const route = this.routes.reached(client.namespace, target, port.port);
    return route?.subsets.some((s) => s !== undefined) ? route : undefined;
  }

  private clientSide(
    client: ClientProfile,
    target: ServiceTarget,
    port: TargetPort,
    backends: readonly Backend[],
    servers: readonly ServerSide[],
    subset?: Subset,
  ): ClientSide {
    if (client.proxy === 'none') return NO_PROXY_SIDE;
    // ztunnel ignores DestinationRules; it sends HBONE (mTLS) to mesh endpoints, plaintext to others.
    if (client.proxy === 'ambient') return AMBIENT_SIDE;
    if (outboundBypass(client, target, port)) return OUTBOUND_EXCLUDED_SIDE;
    // A service the proxy does not import has no cluster: no DestinationRule, no auto mTLS. Gateways
    // ignore Sidecar resources (push_context.go doGetSidecarScope: DefaultSidecarScopeForGateway).
    const seen = client.gateway
      ? this.visibility.forGatewayClient(client.namespace, target)
      : this.visibility.forSidecarClient(client.namespace, client.labels, target, port.port);
    if (!seen.visible) {
      // A gateway has no catch-all: its route points at a cluster it lacks (like a blackhole).
      const source = seen.gateway || seen.outboundPolicy === 'REGISTRY_ONLY' ? 'blackhole' : 'passthrough';
      return { tls: 'DISABLE', source, hidden: seen };
    }

    const rule = this.destinationRules.lookup(client.namespace, client.labels, target.host, target.namespace);
    const resolved = rule ? resolveTls(rule.rule, port.port, subset?.name) : undefined;
    if (resolved?.tls) {
      // cluster_tls.go buildUpstreamClusterTLSContext drops it only when cb.sidecarProxy().
      if (resolved.credentialIgnored && !client.gateway)
        return { tls: 'DISABLE', source: 'credential-ignored', rule, resolvedTls: resolved };
      return { tls: resolved.tls.mode, source: 'destination-rule', rule, resolvedTls: resolved };
    }
    // rule and resolvedTls written out, not spread: a spread inside a literal is V8's slow path.
    const resolvedTls = resolved;
    if (target.external) return { tls: 'DISABLE', source: 'external-no-rule', rule, resolvedTls };
    if (!this.meshConfig.enableAutoMtls)
      return { tls: 'DISABLE', source: 'auto-mtls-off', rule, resolvedTls };
    if (this.peerAuthentications.namespaceMode(target.namespace)?.mode === 'DISABLE') {
      return { tls: 'DISABLE', source: 'namespace-disable', rule, resolvedTls };
    }
    // Two readings of "passthrough" that Istio does not keep in step (cluster_builder.go
    // applyDestinationRule): BestEffortInferServiceMTLSMode is given the rule's top-level policy, while
    // the cluster's type comes from the port-level policy (GetPortLevelTrafficPolicy → applyLoadBalancer).
    // A subset cluster (buildSubsetCluster) is inferred from the subset's own top-level policy and is
    // ORIGINAL_DST when the service's cluster is, or when the subset balances PASSTHROUGH.
    const subsetPassthrough = isPassthrough(subset?.trafficPolicy?.loadBalancerSimple);
    const inferredPassthrough =
      target.headless ||
      (subset ? subsetPassthrough : isPassthrough(rule?.rule.trafficPolicy?.loadBalancerSimple));
    const originalDst =
      target.headless || subsetPassthrough || isPassthrough(portPolicy(rule, port.port)?.loadBalancerSimple);
    // Plaintext for every endpoint when any endpoint's tlsMode is "disabled" (compared exactly) or
    // there are none.
    if (
      inferredPassthrough &&
      (backends.length === 0 || servers.some((s) => s.tlsMode === DISABLED_TLS_MODE))
    ) {
      return { tls: 'DISABLE', source: 'headless-fallback', rule, resolvedTls };
    }
    // ORIGINAL_DST clusters get one transport socket for all endpoints (cluster_tls.go
    // applyUpstreamTLSSettings skips the socket match): Istio mTLS even to a pod whose own policy is
    // DISABLE, and, with only a port-level PASSTHROUGH, even to a pod without a sidecar.
    if (originalDst) {
      return {
        tls: 'ISTIO_MUTUAL',
        source: inferredPassthrough ? 'headless-mtls' : 'port-passthrough-mtls',
        rule,
        resolvedTls,
      };
    }
    // Auto mTLS: the cluster matches endpoints whose EDS metadata says tlsMode=istio (cluster_tls.go
    // applyUpstreamTLSSettings); a top-level tls of the rule still steers that metadata.
    // mtls_checker.go tlsModeForDestinationRule: the subset's mode first, else the rule's.
    const topLevel = subset?.trafficPolicy?.tls?.mode ?? rule?.rule.trafficPolicy?.tls?.mode;
    return { source: 'auto-mtls', ruleTlsMode: topLevel, rule, resolvedTls };
  }

  private judge(
    client: ClientProfile,
    target: ServiceTarget,
    port: TargetPort,
    clientSide: ClientSide,
    backend: Backend,
    server: ServerSide,
  ): BackendOutcome {
    if (clientSide.source === 'blackhole') return blackholed(port, clientSide, backend, server);
    // ztunnel to ztunnel is HBONE, which every mode accepts (ambient.ts).
    if (client.proxy === 'ambient' && server.serverProxy === 'ambient')
      return this.withIdentity(client, port, backend, server, 'ISTIO_MUTUAL');
    // Sidecars tunnel to ambient pods over HBONE whatever the rule or auto mTLS says, a rule's
    // SIMPLE/MUTUAL inside the tunnel (ambient.ts sidecarTransportToAmbient).
    if (
      client.proxy === 'sidecar' &&
      server.serverProxy === 'ambient' &&
      clientSide.source !== 'outbound-excluded' &&
      clientSide.source !== 'passthrough'
    ) {
      const originalDst =
        target.headless ||
        clientSide.source === 'port-passthrough-mtls' ||
        clientSide.source === 'headless-mtls';
      const via = sidecarTransportToAmbient(clientSide.tls, server.tlsMode, originalDst);
      if (via === 'hbone') return this.withIdentity(client, port, backend, server, 'ISTIO_MUTUAL');
      if (via === 'hbone-tls') {
        const tls = clientSide.tls as ClientTlsMode;
        if (portExpectsTls(port)) return this.withIdentity(client, port, backend, server, tls);
        return backendOutcome(
          backend,
          tls,
          server,
          false,
          'destinationrule-tls-conflict',
          SYMPTOMS.tlsToPlaintext,
        );
      }
    }
    const tls = clientSide.tls ?? this.endpointTls(client, clientSide, backend, server);
    const accepted = accepts(server, tls, portExpectsTls(port));
    if (accepted) {
      const identity = this.rejectedIdentity(clientSide, backend, server, tls);
      if (identity) {
        return {
          backend,
          tls,
          ...server,
          serverIdentity: identity,
          ok: false,
          reason: 'destinationrule-san-mismatch',
          symptom: SYMPTOMS.sanMismatch,
        };
      }
      if (tls === 'ISTIO_MUTUAL') return this.withIdentity(client, port, backend, server, tls);
      // Accepted without Istio mTLS: the call carries no peer identity (authorization.ts). Where the
      // client's own identity would be denied too, mTLS is not what it lacks.
      // TLS the sidecar does not terminate reaches a TCP chain (port-protocol.ts).
      const passthroughTls = tls === 'SIMPLE' || tls === 'MUTUAL' || portExpectsTls(port);
      const chain = filterChain(port, passthroughTls);
      const denial = this.denial(backend, server, 'none', chain);
      if (denial) {
        const own =
          client.identity && this.denial(backend, server, client.identity, filterChain(port, false));
        const reason = own ? 'authorization-denied' : 'authorization-requires-mtls';
        return denied(backend, tls, server, reason, own ?? denial, port, chain);
      }
      return backendOutcome(backend, tls, server, true, 'ok', SYMPTOMS.ok);
    }
    const reason = failureReason(client, clientSide, server, tls, target);
    return backendOutcome(backend, tls, server, false, reason, failureSymptom(server, tls));
  }

  /** A call with the client's mTLS identity: ok unless the server's policies certainly deny it. */
  private withIdentity(
    client: ClientProfile,
    port: TargetPort,
    backend: Backend,
    server: ServerSide,
    tls: ClientTlsMode,
  ): BackendOutcome {
    const chain = filterChain(port, false);
    const denial = client.identity && this.denial(backend, server, client.identity, chain);
    if (denial) return denied(backend, tls, server, 'authorization-denied', denial, port, chain);
    return backendOutcome(backend, tls, server, true, 'ok', SYMPTOMS.ok);
  }

  /**
   * The certain denial of a call without a peer identity (`none`) or with this one, by the server's
   * proxy where it enforces AuthorizationPolicies (not a gateway, nor a port past its sidecar).
   */
  private denial(
    backend: Backend,
    server: ServerSide,
    identity: 'none' | PeerIdentity,
    chain: FilterChain,
  ): AuthorizationDenial | undefined {
    const port = backend.targetPort;
    if (!this.authorization || port === undefined) return undefined;
    const enforcer = authorizationEnforcer(server, identity !== 'none');
    if (!enforcer) return undefined;
    const call = { port, enforcer, chain } as const;
    return identity === 'none'
      ? this.authorization.denialWithoutIdentity(backend.workload, call)
      : this.authorization.denialOf(backend.workload, call, identity);
  }

  /**
   * ISTIO_MUTUAL from a rule with subjectAltNames: those names replace the service's service accounts
   * as the identities the client accepts (cluster_tls.go buildUpstreamTLSSettings, then
   * buildUpstreamClusterTLSContext's exact SAN match). The server sidecar presents
   * spiffe://<trust domain>/ns/<namespace>/sa/<service account>; returns it when it is not listed.
   */
  private rejectedIdentity(
    clientSide: ClientSide,
    backend: Backend,
    server: ServerSide,
    tls: ClientTlsMode,
  ): string | undefined {
    if (tls !== 'ISTIO_MUTUAL' || clientSide.source !== 'destination-rule') return undefined;
    const names = clientSide.resolvedTls?.tls?.subjectAltNames;
    if (!names?.length || server.serverProxy !== 'sidecar' || server.inboundExcluded) return undefined;
    const identity = spiffeIdentity(this.meshConfig.trustDomain, backend.workload);
    return names.includes(identity) ? undefined : identity;
  }

  // Auto mTLS per endpoint. ztunnel (ambient clients) sends HBONE to ambient pods and to sidecar pods
  // that advertise HBONE (label networking.istio.io/tunnel=http), plaintext to the rest.
  private endpointTls(
    client: ClientProfile,
    clientSide: ClientSide,
    backend: Backend,
    server: ServerSide,
  ): ClientTlsMode {
    if (client.proxy === 'ambient') {
      const hbone =
        server.serverProxy === 'ambient' ||
        (server.serverProxy === 'sidecar' && sidecarAcceptsHbone(backend.workload, this.meshConfig));
      return hbone ? 'ISTIO_MUTUAL' : 'DISABLE';
    }
    return endpointMetadataIsIstio(clientSide, server) ? 'ISTIO_MUTUAL' : 'DISABLE';
  }

  private judgeExternal(client: ClientProfile, port: TargetPort, clientSide: ClientSide): BackendOutcome {
    const tls = clientSide.tls ?? 'DISABLE';
    const external = { serverProxy: 'none' as const, serverMode: 'NONE' as const, inboundExcluded: false };
    if (clientSide.source === 'blackhole') return blackholed(port, clientSide, undefined, external);
    // Without a sidecar the app's bytes go out as they are: no verdict from the port's protocol.
    const failure =
      tls === 'DISABLE' && client.proxy !== 'sidecar' ? undefined : externalTlsFailure(port, tls);
    if (!failure) return { tls, ...external, ok: true, reason: 'ok', symptom: SYMPTOMS.ok };
    const symptom = EXTERNAL_SYMPTOMS[failure];
    const reason =
      clientSide.source === 'passthrough'
        ? 'service-not-visible-passthrough'
        : 'serviceentry-tls-origination';
    return { tls, ...external, ok: false, reason, symptom };
  }
}

const EXTERNAL_SYMPTOMS: Record<ExternalTlsFailure, string> = {
  'istio-mtls': SYMPTOMS.tlsToPlaintext,
  'double-tls': SYMPTOMS.doubleTls,
  'tls-to-plaintext': SYMPTOMS.tlsToPlaintext,
  'plaintext-to-tls': SYMPTOMS.plaintextToTlsPort,
};

const TUNNEL_LABEL = 'networking.istio.io/tunnel';
const ENABLE_HBONE = 'ISTIO_META_ENABLE_HBONE';
const hboneOfTemplate = new WeakMap<Workload, boolean>();

/**
 * Whether ztunnel sends HBONE to this sidecar pod: its label networking.istio.io/tunnel lists "http"
 * (workloads.go setTunnelProtocol, service.go SupportsTunnel). A pod the injector has yet to create
 * (a template without an istio-proxy container) gets that label, and a sidecar listening for HBONE,
 * when its proxy config sets ISTIO_META_ENABLE_HBONE "true" (injection-template.yaml; the ambient
 * profile sets it in meshConfig.defaultConfig.proxyMetadata); the template's own label is kept. The
 * proxy config is the mesh's defaultConfig under the pod's proxy.istio.io/config (proxy_config.go
 * EffectiveProxyConfig; ProxyConfig resources are not read). A running pod is what it was injected as.
 */
export function sidecarAcceptsHbone(w: Workload, mesh: MeshConfig): boolean {
  const label = w.podLabels[TUNNEL_LABEL];
  if (label !== undefined) return label.split(',').includes('http');
  if (w.podNames.length > 0 || w.gateway || w.containerNames.includes('istio-proxy')) return false;
  const templates = w.podAnnotations['inject.istio.io/templates'];
  if (templates !== undefined && !templates.split(',').includes('sidecar')) return false;
  let hbone = hboneOfTemplate.get(w);
  if (hbone === undefined) {
    const own = annotatedProxyMetadata(w)?.[ENABLE_HBONE];
    hbone = (own ?? mesh.defaultProxyMetadata?.[ENABLE_HBONE]) === 'true';
    hboneOfTemplate.set(w, hbone);
  }
  return hbone;
}

/** proxyMetadata of the pod's proxy.istio.io/config; a value that does not parse is ignored, as istiod does. */
function annotatedProxyMetadata(w: Workload): Record<string, unknown> | undefined {
  const text = w.podAnnotations['proxy.istio.io/config'];
  if (!text) return undefined;
  try {
    const config: unknown = parseYaml(text);
    const metadata = (config as { proxyMetadata?: unknown } | null)?.proxyMetadata;
    return typeof metadata === 'object' && metadata !== null
      ? (metadata as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

// Most pairs pass: they share one empty list.
function failingOf(outcomes: readonly BackendOutcome[]): readonly BackendOutcome[] {
  for (let i = 0; i < outcomes.length; i++)
    if (!(outcomes[i] as BackendOutcome).ok) return outcomes.filter((x) => !x.ok);
  return NONE_FAILING;
}

/** The pair's outcome as `shown`, its first failing backend (else its first backend), shows it. */
function pairOutcome(
  client: ClientProfile,
  clientSide: ClientSide,
  shown: BackendOutcome | undefined,
  failing: readonly BackendOutcome[],
  route: RouteChoice | undefined,
): PairOutcome {
  const ok = failing.length === 0;
  const tls = shown?.tls ?? clientSide.tls ?? 'DISABLE';
  const endpointTlsFromTopLevel = !!clientSide.ruleTlsMode;
  const serverProxy = shown?.serverProxy ?? 'none';
  const serverMode = shown?.serverMode ?? 'NONE';
  const reason = shown?.reason ?? 'ok';
  const symptom = shown?.symptom ?? SYMPTOMS.ok;
  // Two literals with the keys in one order, not a spread of `route`: a spread is V8's slow path.
  if (!route)
    return outcomeWithoutRoute(
      ok,
      client.proxy,
      tls,
      clientSide.source,
      endpointTlsFromTopLevel,
      clientSide.rule,
      clientSide.resolvedTls,
      clientSide.hidden,
      serverProxy,
      serverMode,
      reason,
      symptom,
      failing,
    );
  return {
    ok,
    clientProxy: client.proxy,
    tls,
    tlsSource: clientSide.source,
    endpointTlsFromTopLevel,
    rule: clientSide.rule,
    resolvedTls: clientSide.resolvedTls,
    hidden: clientSide.hidden,
    route: { virtualService: route.virtualService, subsets: route.subsets },
    serverProxy,
    serverMode,
    reason,
    symptom,
    failing,
  };
}

/** The same outcome for a client whose rule was found at another step of the lookup (no route). */
function withRule(o: PairOutcome, rule: DestinationRuleMatch | undefined): PairOutcome {
  return outcomeWithoutRoute(
    o.ok,
    o.clientProxy,
    o.tls,
    o.tlsSource,
    o.endpointTlsFromTopLevel,
    rule,
    o.resolvedTls,
    o.hidden,
    o.serverProxy,
    o.serverMode,
    o.reason,
    o.symptom,
    o.failing,
  );
}

// Every outcome without a route is made by this one literal: one shape for the readers of millions of
// pairs (the matrix), whichever way the outcome was found.
function outcomeWithoutRoute(
  ok: boolean,
  clientProxy: ProxyKind,
  tls: ClientTlsMode,
  tlsSource: TlsSource,
  endpointTlsFromTopLevel: boolean,
  rule: DestinationRuleMatch | undefined,
  resolvedTls: ResolvedTls | undefined,
  hidden: Visibility | undefined,
  serverProxy: ProxyKind,
  serverMode: ServerMode,
  reason: FindingCode | 'ok',
  symptom: string,
  failing: readonly BackendOutcome[],
): PairOutcome {
  return {
    ok,
    clientProxy,
    tls,
    tlsSource,
    endpointTlsFromTopLevel,
    rule,
    resolvedTls,
    hidden,
    serverProxy,
    serverMode,
    reason,
    symptom,
    failing,
  };
}

/**
 * `{ backend, tls, ...server, ok, reason, symptom }` with the same keys in the same order, built as a
 * literal: a spread in the middle of an object literal takes V8's slow path, once per evaluated pair.
 */
function backendOutcome(
  backend: Backend,
  tls: ClientTlsMode,
  server: ServerSide,
  ok: boolean,
  reason: FindingCode | 'ok',
  symptom: string,
): BackendOutcome {
  // policyMode rides along, as it did with the spread.
  const { serverProxy, serverMode, inboundExcluded, tlsMode, policyMode } = server;
  if ('decision' in server) {
    const decision = server.decision;
    const outcome = {
      backend,
      tls,
      serverProxy,
      serverMode,
      decision,
      inboundExcluded,
      tlsMode,
      policyMode,
      ok,
      reason,
      symptom,
    };
    return outcome;
  }
  const outcome = {
    backend,
    tls,
    serverProxy,
    serverMode,
    inboundExcluded,
    tlsMode,
    policyMode,
    ok,
    reason,
    symptom,
  };
  return outcome;
}

/**
 * Whether EDS gives the endpoint the metadata `tlsMode: istio` that selects the cluster's mTLS socket
 * (endpoint_builder.go buildEnvoyLbEndpoint clears the endpoint's own tlsMode unless checkMtlsEnabled
 * says yes, and never raises it). checkMtlsEnabled: the rule's mode when the endpoint builder sees one,
 * else the endpoint's own PeerAuthentication for its port (not DISABLE). So a rule's ISTIO_MUTUAL
 * reaches only endpoints labelled "istio", and it overrides their DISABLE policy.
 */
function endpointMetadataIsIstio(clientSide: ClientSide, server: ServerSide): boolean {
  if (server.tlsMode !== ISTIO_TLS_MODE) return false;
  if (clientSide.ruleTlsMode) return clientSide.ruleTlsMode === 'ISTIO_MUTUAL';
  return server.policyMode !== 'DISABLE';
}

/** The server's proxy denies the call: a 403 where Istio reads HTTP, the connection closed otherwise. */
function denied(
  backend: Backend,
  tls: ClientTlsMode,
  server: ServerSide,
  reason: 'authorization-requires-mtls' | 'authorization-denied',
  denial: AuthorizationDenial,
  port: TargetPort,
  chain: FilterChain,
): BackendOutcome {
  const http = chain === 'http' && portProtocol(port) === 'http';
  const symptom = denialSymptom(denial.enforcer, http);
  return { ...backendOutcome(backend, tls, server, false, reason, symptom), authorization: denial };
}

/** REGISTRY_ONLY and the service is not in the sidecar's scope: the call never leaves the client pod. */
function blackholed(
  port: TargetPort,
  clientSide: ClientSide,
  backend: Backend | undefined,
  server: Omit<ServerSide, 'tlsMode' | 'policyMode'> & Partial<ServerSide>,
): BackendOutcome {
  const http = [port.name, port.appProtocol, port.protocol].some((h) => /^(http|grpc)/i.test(h ?? ''));
  const symptom = clientSide.hidden?.gateway
    ? SYMPTOMS.gatewayNoCluster
    : http
      ? SYMPTOMS.blackholeHttp
      : SYMPTOMS.blackholeTcp;
  return {
    backend,
    tls: clientSide.tls ?? 'DISABLE',
    ...server,
    ok: false,
    reason: 'service-not-visible-blackhole',
    symptom,
  };
}

function isPassthrough(simple: string | undefined): boolean {
  return simple?.toUpperCase() === 'PASSTHROUGH';
}

/** The policy the port's cluster is built from: its port entry (wholesale), else the top level. */
function portPolicy(
  rule: DestinationRuleMatch | undefined,
  servicePort: number,
): { readonly loadBalancerSimple?: string } | undefined {
  const policy = rule?.rule.trafficPolicy;
  return policy?.portLevelSettings.find((p) => p.port === servicePort) ?? policy;
}

/** The identity in a workload's certificate (pkg/spiffe: spiffe://<trust domain>/ns/<ns>/sa/<sa>). */
export function spiffeIdentity(trustDomain: string, workload: Workload): string {
  return `spiffe://${trustDomain}/ns/${workload.meta.namespace}/sa/${workload.serviceAccount}`;
}

/** The pod's tlsMode label says the opposite of its proxy, and that is what decided the TLS. */
function tlsModeContradictsProxy(server: ServerSide, tls: ClientTlsMode): boolean {
  if (tls === 'DISABLE') return server.serverProxy === 'sidecar' && server.tlsMode !== ISTIO_TLS_MODE;
  return tls === 'ISTIO_MUTUAL' && server.serverProxy !== 'sidecar' && server.tlsMode === ISTIO_TLS_MODE;
}

/** Whether the server side of a backend accepts what a client sends it without a tunnel. */
export function accepts(server: ServerSide, tls: ClientTlsMode, appSpeaksTls: boolean): boolean {
  // Not tunnelled: ztunnel's plaintext path (HBONE was judged before), unless the pod bypasses it.
  if (server.serverProxy === 'ambient' && !server.inboundExcluded)
    return ztunnelAcceptsDirect(server.serverMode === 'STRICT' ? 'STRICT' : 'PERMISSIVE', tls, appSpeaksTls);
  const originatedTls = tls === 'SIMPLE' || tls === 'MUTUAL';
  // Past the proxy, the app takes what it speaks.
  switch (server.inboundExcluded ? 'NONE' : server.serverMode) {
    case 'STRICT':
      return tls === 'ISTIO_MUTUAL';
    case 'PERMISSIVE':
      // Non-Istio TLS is passed through to the application as raw bytes.
      return tls === 'ISTIO_MUTUAL' || tls === 'DISABLE' || (originatedTls && appSpeaksTls);
    case 'DISABLE':
      return tls === 'DISABLE' || (originatedTls && appSpeaksTls);
    case 'NONE':
      return tls === 'DISABLE' || (originatedTls && appSpeaksTls);
  }
}

function failureReason(
  client: ClientProfile,
  clientSide: ClientSide,
  server: ServerSide,
  tls: ClientTlsMode,
  target: ServiceTarget,
): FindingCode {
  if (server.inboundExcluded) return 'inbound-port-excluded';
  // ztunnel rejects the plaintext that the port's PeerAuthentication exception was meant to let in.
  if (tls === 'DISABLE' && server.ambient?.divergence === 'exception-ignored')
    return 'ambient-port-level-mtls';
  if (clientSide.source === 'passthrough') return 'service-not-visible-passthrough';
  if (
    (clientSide.source === 'auto-mtls' || clientSide.source === 'headless-mtls') &&
    tlsModeContradictsProxy(server, tls)
  )
    return 'tlsmode-label-mismatch';
  if (clientSide.source === 'headless-mtls' || clientSide.source === 'headless-fallback')
    return 'headless-service-plaintext';
  if (clientSide.source === 'port-passthrough-mtls') return 'port-passthrough-mtls';
  if (client.proxy === 'ambient') return 'strict-plaintext-clients';
  if (tls === 'DISABLE') {
    switch (clientSide.source) {
      case 'no-proxy':
        return 'strict-plaintext-clients';
      case 'outbound-excluded':
        return 'outbound-port-excluded';
      case 'auto-mtls-off':
        return 'auto-mtls-disabled';
      case 'auto-mtls':
        // A top-level tls in the rule decided the endpoints' tlsMode for a port whose entry has none.
        return clientSide.ruleTlsMode ? 'destinationrule-tls-conflict' : 'strict-plaintext-clients';
      case 'namespace-disable':
        return 'strict-under-namespace-disable';
      case 'credential-ignored':
        return 'destinationrule-credentialname-ignored';
      default:
        return client.proxy === 'none' ? 'strict-plaintext-clients' : 'destinationrule-tls-conflict';
    }
  }
  if (target.external) return 'serviceentry-tls-origination';
  return 'destinationrule-tls-conflict';
}

function failureSymptom(server: ServerSide, tls: ClientTlsMode): string {
  if (tls === 'DISABLE') return SYMPTOMS.reset;
  if (server.serverMode === 'STRICT') return SYMPTOMS.noClientCert;
  return SYMPTOMS.tlsToPlaintext;
}

/**
 * Who enforces a server's AuthorizationPolicies for a call: ztunnel for an ambient pod, its sidecar
 * for a sidecar pod; nobody for a gateway or a port past the sidecar. A call without an identity to
 * an ambient pod is not HBONE: it skips ztunnel where the pod bypasses inbound capture.
 */
export function authorizationEnforcer(
  server: Pick<ServerSide, 'serverProxy' | 'inboundExcluded' | 'serverGateway'>,
  withIdentity: boolean,
): Enforcer | undefined {
  if (server.serverProxy === 'ambient')
    return !withIdentity && server.inboundExcluded ? undefined : 'ztunnel';
  return server.serverProxy === 'sidecar' && !server.inboundExcluded && !server.serverGateway
    ? 'sidecar'
    : undefined;
}
