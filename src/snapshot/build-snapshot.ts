// Turns raw Kubernetes objects (from manifests, or later a live cluster) into a MeshSnapshot.
// Validates the fields we read and reports a malformed object with its file, line and field.
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

import { toAuthorizationPolicy, unjudgedAuthorizationGap } from './authorization-policy.js';
import { CA_SECRET_NAMES, caSecretsIstiodUses } from './ca-secrets.js';
import { podTlsMode } from './endpoint-tls-mode.js';
import { fastParse, NOT_FAST } from './fast-schema.js';
import { routerReason } from './gateway-proxy.js';
import { describeObject, invalid, LeftOutObjects } from './invalid-object.js';
import { invalidName, invalidNamespace, quote } from './k8s-names.js';
import {
  configMapRevision,
  injectorRevision,
  type MeshConfigSource,
  meshConfigsIstiodReads,
  operatorRevision,
} from './mesh-config-sources.js';
import { carriesMeshTraffic } from './mesh-protocols.js';
import { misreadKind } from './misread-kind.js';
import { podHasSidecar, podIsFinished, podOwner } from './pod-owner.js';
import { httpProbePorts } from './probe-ports.js';
import { decideProxy, webhooksSelectingNamespace } from './proxy-status.js';
import type { RawObject } from './read-manifests.js';
import { revisionConfigGaps } from './revision-configs.js';
import {
  authorizationPolicySpecSchema,
  configMapDataSchema,
  destinationRuleSpecSchema,
  gatewaySpecSchema,
  gatewayStatusSchema,
  injectorValuesSchema,
  meshConfigSchema,
  metadataSchema,
  mutatingWebhookConfigurationSchema,
  peerAuthenticationSpecSchema,
  podSpecSchema,
  podTemplateSchema,
  secretDataSchema,
  serviceEntrySpecSchema,
  serviceSpecSchema,
  sidecarSpecSchema,
  virtualServiceSpecSchema,
} from './schemas.js';
import {
  type AdmissionWebhook,
  type AuthorizationPolicy,
  type CertificateSource,
  type ClientTlsSettings,
  DEFAULT_MESH_CONFIG,
  type DestinationRule,
  type Gap,
  type InjectionWebhook,
  type InjectorConfig,
  type LabelSelector,
  type Labels,
  type MeshConfig,
  type MeshSnapshot,
  type MtlsMode,
  type NamespaceInfo,
  type ObjectMeta,
  type PeerAuthentication,
  type RevisionConfig,
  type Service,
  type ServiceEntry,
  type SidecarResource,
  type SourceLocation,
  type TrafficPolicy,
  type VirtualService,
  type WaypointGateway,
  type Workload,
  workloadKey,
} from './types.js';

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob']);

type Meta = z.infer<typeof metadataSchema>;
type PodSpec = z.infer<typeof podSpecSchema>;

interface PendingWorkload {
  readonly kind: Workload['kind'];
  readonly meta: ObjectMeta;
  readonly podLabels: Labels;
  readonly podAnnotations: Labels;
  readonly spec: PodSpec;
  /** From a Pod object: its containers are the truth about the proxy. */
  readonly isRunningPod: boolean;
  /** Appended to as the workload's pods are read (thousands for a big DaemonSet: no copy per pod). */
  readonly podNames: string[];
  /** The running pods with an istio-proxy container (a subset of podNames). */
  readonly sidecarPods: string[];
}

/**
 * Whether a workload object stands for pods of its own. A ReplicaSet a Deployment manages, and a Job a
 * CronJob made, are their owner's (a dump of `kubectl get all` lists them all; an old ReplicaSet
 * scaled to 0 still holds the template from before injection), and a Job that has finished runs none.
 */
function runsPodsOfItsOwn(raw: RawObject, kind: string): boolean {
  const object = raw.object as {
    metadata?: { ownerReferences?: readonly { kind?: unknown }[] | null };
    status?: { conditions?: readonly { type?: unknown; status?: unknown }[] | null } | null;
  };
  const owners = object.metadata?.ownerReferences ?? [];
  if (kind === 'ReplicaSet') return !owners.some((o) => o.kind === 'Deployment');
  if (kind !== 'Job') return true;
  if (owners.some((o) => o.kind === 'CronJob')) return false;
  const done = (object.status?.conditions ?? []).some(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
  return !done;
}

/** A pod's metadata, the workload it belongs to and that workload's key. */
function podOf(raw: RawObject) {
  const m = readMeta(raw, 'Pod');
  const owner = podOwner({ ...m, ownerReferences: (raw.object.metadata as Meta).ownerReferences });
  // By kind too: a Deployment and a CronJob may share a name, and their pods are not one workload.
  return { m, owner, key: workloadKey({ kind: owner.kind, namespace: m.namespace, name: owner.name }) };
}

export interface BuildOptions {
  readonly gaps?: readonly Gap[];
  readonly collectedRootCertConfigMaps?: boolean;
  /** Injector webhooks read separately (a live cluster's list, even empty); overrides those in `raws`. */
  readonly injectionWebhooks?: readonly InjectionWebhook[];
  /** False when the source tried and failed to read Gateways: waypoints are then unknown, not absent. */
  readonly readGateways?: boolean;
  /**
   * A live read's objects: one whose fields cannot be read is left out and becomes a gap naming it and
   * the field, instead of ending the whole read (manifests keep their file:line error).
   */
  readonly leaveOutInvalid?: boolean;
  /** Leaves invalid objects out into this collector, not into gaps: its caller names them (a diff's base). */
  readonly leftOut?: LeftOutObjects;
  /** The namespace istiod runs in, when the source knows it (a live read): its mesh ConfigMaps count. */
  readonly istioNamespace?: string;
}

/** A mesh config found in the input, as the layer it adds to those read before it. */
type MeshLayer = MeshConfigSource<(current: MeshConfig) => MeshConfig>;

export function buildSnapshot(raws: readonly RawObject[], options: BuildOptions = {}): MeshSnapshot {
  const namespaces = new Map<string, NamespaceInfo>();
  const pending = new Map<string, PendingWorkload>();
  const services: Service[] = [];
  const peerAuthentications: PeerAuthentication[] = [];
  const destinationRules: DestinationRule[] = [];
  const serviceEntries: ServiceEntry[] = [];
  const sidecars: SidecarResource[] = [];
  const waypointGateways: WaypointGateway[] = [];
  const virtualServices: VirtualService[] = [];
  const certificates: CertificateSource[] = [];
  const meshLayers: MeshLayer[] = [];
  // The injector's values, like the mesh config, are the default revision's (a canary's
  // istio-sidecar-injector-<rev> injects only the pods of that revision).
  const injectors: MeshConfigSource<InjectorConfig>[] = [];
  const injectionWebhooks: InjectionWebhook[] = [];
  const admissionWebhooks: AdmissionWebhook[] = [];
  const authorizationPolicies: AuthorizationPolicy[] = [];

  const terminatingPods: RawObject[] = [];
  const addPod = (raw: RawObject) => {
    const { m, owner, key } = podOf(raw);
    const spec = validate(raw, 'Pod', ['spec'], podSpecSchema);
    // The owner's name comes from a reference or a label: it names the workload a fix restarts.
    if (owner.name !== m.name) {
      const fromLabel = owner.kind === 'CronJob';
      checkName(
        raw,
        owner.kind,
        owner.name,
        fromLabel
          ? ['metadata', 'labels', 'batch.kubernetes.io/cronjob-name']
          : ['metadata', 'ownerReferences', 0, 'name'],
      );
    }
    const earlier = pending.get(key)?.isRunningPod ? pending.get(key) : undefined;
    const hasSidecar = podHasSidecar(spec);
    const podNames = earlier?.podNames ?? [];
    const sidecarPods = earlier?.sidecarPods ?? [];
    podNames.push(m.name);
    if (hasSidecar) sidecarPods.push(m.name);
    // Pods of one workload that disagree (a rollout, pods started before injection changed): a pod
    // without the sidecar stands for them all, whatever the order they are read in, since its
    // calls leave as plaintext and the namespace is not ready for STRICT while it runs.
    const keepEarlier =
      earlier !== undefined && hasSidecar && earlier.sidecarPods.length < earlier.podNames.length;
    pending.set(
      key,
      keepEarlier
        ? { ...earlier, podNames, sidecarPods }
        : {
            kind: owner.kind,
            meta: owner.kind === 'Pod' ? m : { ...m, name: owner.name },
            podLabels: withoutPodTemplateHash(m.labels),
            podAnnotations: m.annotations,
            spec,
            isRunningPod: true,
            podNames,
            sidecarPods,
          },
    );
  };

  const addObject = (raw: RawObject): void => {
    const kind = raw.object.kind;
    const apiVersion = raw.object.apiVersion;
    if (typeof kind !== 'string' || typeof apiVersion !== 'string') {
      throw invalid(raw, [], 'object without apiVersion and kind');
    }
    const slash = apiVersion.indexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const meta = () => readMeta(raw, kind);
    if (group === 'security.istio.io' && kind === 'PeerAuthentication') {
      peerAuthentications.push(
        toPeerAuthentication(meta(), validate(raw, kind, ['spec'], peerAuthenticationSpecSchema)),
      );
    } else if (group === 'security.istio.io' && kind === 'AuthorizationPolicy') {
      authorizationPolicies.push(
        toAuthorizationPolicy(meta(), validate(raw, kind, ['spec'], authorizationPolicySpecSchema)),
      );
    } else if (group === 'networking.istio.io' && kind === 'DestinationRule') {
      destinationRules.push(
        toDestinationRule(meta(), validate(raw, kind, ['spec'], destinationRuleSpecSchema)),
      );
    } else if (group === 'networking.istio.io' && kind === 'ServiceEntry') {
      serviceEntries.push(toServiceEntry(meta(), validate(raw, kind, ['spec'], serviceEntrySpecSchema)));
    } else if (group === 'networking.istio.io' && kind === 'VirtualService') {
      virtualServices.push(toVirtualService(meta(), validate(raw, kind, ['spec'], virtualServiceSpecSchema)));
    } else if (group === 'networking.istio.io' && kind === 'Sidecar') {
      sidecars.push(toSidecar(meta(), validate(raw, kind, ['spec'], sidecarSpecSchema)));
    } else if (group === 'gateway.networking.k8s.io' && kind === 'Gateway') {
      const spec = validate(raw, kind, ['spec'], gatewaySpecSchema);
      const status =
        raw.object.status === undefined || raw.object.status === null
          ? undefined
          : validate(raw, kind, ['status'], gatewayStatusSchema);
      waypointGateways.push(toWaypointGateway(meta(), spec, status));
    } else if (group === 'install.istio.io' && kind === 'IstioOperator') {
      const spec = raw.object.spec as Record<string, unknown> | undefined;
      if (spec?.meshConfig !== undefined) {
        const parsed = validate(raw, kind, ['spec', 'meshConfig'], meshConfigSchema);
        const m = meta();
        meshLayers.push({
          kind,
          namespace: m.namespace,
          name: m.name,
          revision: operatorRevision(spec.revision),
          config: (current) => mergeMeshConfig(current, parsed, m, kind, raw),
        });
      }
    } else if (group === '' && kind === 'Namespace') {
      const m = meta();
      namespaces.set(m.name, { name: m.name, labels: m.labels, source: raw.location });
    } else if (group === '' && kind === 'Service') {
      services.push(toService(meta(), validate(raw, kind, ['spec'], serviceSpecSchema)));
    } else if (group === '' && kind === 'Pod') {
      if (podIsFinished(raw.object)) return;
      // A terminating pod is on its way out (a rollout's old pod): it speaks for its workload only
      // when no other pod does, so a replaced pod without the sidecar does not make it "mixed".
      if ((raw.object.metadata as { deletionTimestamp?: unknown } | null | undefined)?.deletionTimestamp) {
        terminatingPods.push(raw);
        return;
      }
      addPod(raw);
    } else if (
      WORKLOAD_KINDS.has(kind) &&
      (group === 'apps' || group === 'batch' || group === 'extensions')
    ) {
      if (!runsPodsOfItsOwn(raw, kind)) return;
      const m = meta();
      const templatePath =
        kind === 'CronJob' ? ['spec', 'jobTemplate', 'spec', 'template'] : ['spec', 'template'];
      const template = validate(raw, kind, templatePath, podTemplateSchema);
      const key = workloadKey({ kind, namespace: m.namespace, name: m.name });
      // A running Pod of this workload, read before, already tells the truth about its proxy.
      if (pending.get(key)?.isRunningPod) return;
      pending.set(key, {
        kind: kind as Workload['kind'],
        meta: m,
        podLabels: template.metadata?.labels ?? {},
        podAnnotations: template.metadata?.annotations ?? {},
        spec: template.spec,
        isRunningPod: false,
        podNames: [],
        sidecarPods: [],
      });
    } else if (group === '' && kind === 'ConfigMap') {
      const m = meta();
      const data = validate(raw, kind, [], configMapDataSchema).data ?? {};
      readConfigMap(m, data, raw, {
        onMesh: (parsed) => {
          meshLayers.push({
            kind,
            namespace: m.namespace,
            name: m.name,
            revision: configMapRevision(m.name),
            config: (current) => ({ ...mergeMeshConfig(current, parsed, m, kind, raw), meshText: data.mesh }),
          });
        },
        onInjector: (config) => {
          injectors.push({
            kind,
            namespace: m.namespace,
            name: m.name,
            revision: injectorRevision(m.name),
            config,
          });
        },
        onCertificate: (cert) => certificates.push(cert),
      });
    } else if (
      group === 'admissionregistration.k8s.io' &&
      (kind === 'MutatingWebhookConfiguration' || kind === 'ValidatingWebhookConfiguration')
    ) {
      const m = meta();
      const spec = validate(raw, kind, [], mutatingWebhookConfigurationSchema);
      if (kind === 'MutatingWebhookConfiguration')
        injectionWebhooks.push(...toInjectionWebhooks(m.name, spec));
      admissionWebhooks.push(...toAdmissionWebhooks(kind, m, spec));
    } else if (group === '' && kind === 'Secret') {
      const m = meta();
      if (!CA_SECRET_NAMES.has(m.name)) return;
      const secret = validate(raw, kind, [], secretDataSchema);
      certificates.push(...caSecretCertificates(m, secret, raw));
    } else {
      // Every other kind is ignored (the analysis does not need it), unless it was meant as one it reads.
      const misread = misreadKind(kind, group, raw.object);
      if (misread) throw invalid(raw, [misread.field], misread.problem, describeObject(raw, kind));
    }
  };

  const leftOut = options.leftOut ?? (options.leaveOutInvalid ? new LeftOutObjects() : undefined);
  const read = (raw: RawObject, add: (raw: RawObject) => void) =>
    leftOut ? leftOut.tolerate(raw, () => add(raw)) : add(raw);
  for (const raw of raws) read(raw, addObject);

  if (terminatingPods.length > 0) {
    const withPodsStaying = new Set([...pending].flatMap(([key, p]) => (p.isRunningPod ? [key] : [])));
    for (const raw of terminatingPods) if (!withPodsStaying.has(podOf(raw).key)) read(raw, addPod);
  }

  // Without Istio's webhooks in the input, decideProxy assumes the default install.
  const webhooks =
    options.injectionWebhooks ?? (injectionWebhooks.length > 0 ? injectionWebhooks : undefined);
  const selectingByNamespace = new Map<string, readonly InjectionWebhook[]>();
  const workloads = [...pending.values()].map((p) => {
    const namespace = p.meta.namespace;
    const labels = namespaces.get(namespace)?.labels;
    let selecting = selectingByNamespace.get(namespace);
    if (!selecting) {
      selecting = webhooksSelectingNamespace(namespace, labels, webhooks);
      selectingByNamespace.set(namespace, selecting);
    }
    return toWorkload(p, labels, webhooks, selecting);
  });
  const mesh = meshConfigsIstiodReads(meshLayers, options.istioNamespace);
  const meshConfig = layered(mesh.read);
  const injectorSources = meshConfigsIstiodReads(injectors, options.istioNamespace);
  const injector = injectorSources.read.at(-1)?.config ?? { rewriteAppHTTPProbe: true };
  const otherRevisions = otherRevisionConfigs(mesh.otherRevisions, injectorSources.otherRevisions);
  return {
    namespaces: [...namespaces.values()],
    workloads,
    services,
    peerAuthentications,
    destinationRules,
    serviceEntries,
    sidecars,
    waypointGateways: options.readGateways === false ? undefined : waypointGateways,
    virtualServices,
    meshConfig,
    injector,
    ...(otherRevisions.length > 0 ? { otherRevisions } : {}),
    // Only now: the mesh config that names the root namespace may come after the Secrets.
    certificates: caSecretsIstiodUses(certificates, meshConfig.rootNamespace),
    // A caller's own collector names its objects itself; they are no gaps of this snapshot.
    gaps: [
      ...(options.gaps ?? []),
      ...(options.leftOut ? [] : (leftOut?.gaps() ?? [])),
      ...(mesh.gap ? [mesh.gap] : []),
      ...revisionConfigGaps({ meshConfig, injector }, otherRevisions, workloads, [...namespaces.values()]),
      ...unjudgedAuthorizationGap(authorizationPolicies, workloads, meshConfig.rootNamespace),
    ],
    collectedRootCertConfigMaps: options.collectedRootCertConfigMaps ?? false,
    injectionWebhooks: webhooks,
    admissionWebhooks,
    authorizationPolicies,
  };
}

/** The revisions other than the one checked, each with the mesh config and injector values found for it. */
function otherRevisionConfigs(
  meshes: ReadonlyMap<string, readonly MeshLayer[]>,
  injectors: ReadonlyMap<string, readonly MeshConfigSource<InjectorConfig>[]>,
): RevisionConfig[] {
  return [...new Set([...meshes.keys(), ...injectors.keys()])].sort().map((revision) => {
    const layers = meshes.get(revision);
    const values = injectors.get(revision)?.at(-1)?.config;
    return {
      revision,
      ...(layers ? { meshConfig: layered(layers) } : {}),
      ...(values ? { injector: values } : {}),
    };
  });
}

/** A revision's mesh config: Istio's defaults under its layers, in input order. */
function layered(layers: readonly MeshLayer[]): MeshConfig {
  return layers.reduce((current, layer) => layer.config(current), DEFAULT_MESH_CONFIG);
}

function validate<T extends z.ZodType>(
  raw: RawObject,
  kind: string,
  path: readonly string[],
  schema: T,
): z.infer<T> {
  let value: unknown = raw.object;
  for (const key of path) value = (value as Record<string, unknown> | undefined)?.[key];
  const fast = fastParse(schema, value ?? {});
  if (fast !== NOT_FAST) return fast as z.infer<T>;
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const issuePath = [...path, ...(issue?.path ?? []).map((p) => (typeof p === 'symbol' ? String(p) : p))];
  const name = describeObject(raw, kind);
  const field = issuePath.length > 0 ? issuePath.join('.') : '(object)';
  throw invalid(raw, issuePath, `${field}: ${issue?.message ?? 'invalid'}`, name);
}

function readMeta(raw: RawObject, kind: string): ObjectMeta {
  // `istioctl install -f` accepts an IstioOperator without metadata (the field guide's snippet has none).
  if (kind === 'IstioOperator' && !(raw.object.metadata as { name?: unknown } | undefined)?.name) {
    return {
      name: 'installed-state',
      namespace: 'istio-system',
      labels: {},
      annotations: {},
      source: raw.location,
    };
  }
  const m = validate(raw, kind, ['metadata'], metadataSchema);
  checkName(raw, kind, m.name, ['metadata', 'name']);
  if (kind !== 'Namespace' && m.namespace) {
    const problem = invalidNamespace(m.namespace);
    if (problem)
      throw invalid(
        raw,
        ['metadata', 'namespace'],
        `metadata.namespace: ${problem}`,
        `${kind} ${quote(m.name)}`,
      );
  }
  return {
    name: m.name,
    // Like kubectl, an object without a namespace lands in `default` (cluster-scoped kinds ignore it).
    namespace: kind === 'Namespace' ? '' : (m.namespace ?? 'default'),
    labels: m.labels ?? {},
    annotations: m.annotations ?? {},
    creationTimestamp: m.creationTimestamp ?? undefined,
    resourceVersion: m.resourceVersion,
    source: raw.location,
  };
}

/** A name the API server would refuse is bad input (and must never reach a generated command). */
function checkName(raw: RawObject, kind: string, name: string, path: readonly (string | number)[]): void {
  const problem = invalidName(kind, name);
  if (problem) throw invalid(raw, path, `${path.join('.')}: ${problem}`, kind);
}

function withoutPodTemplateHash(labels: Labels): Labels {
  if (!('pod-template-hash' in labels)) return labels;
  const { 'pod-template-hash': _hash, ...rest } = labels;
  return rest;
}

function toWorkload(
  p: PendingWorkload,
  namespaceLabels: Labels | undefined,
  webhooks: readonly InjectionWebhook[] | undefined,
  namespaceWebhooks: readonly InjectionWebhook[],
): Workload {
  const containers = [...(p.spec.initContainers ?? []), ...p.spec.containers];
  const containerNames = containers.map((c) => c.name);
  const expected = decideProxy({
    namespaceLabels,
    podLabels: p.podLabels,
    podAnnotations: p.podAnnotations,
    containerNames,
    hostNetwork: p.spec.hostNetwork ?? false,
    namespace: p.meta.namespace,
    webhooks,
    namespaceWebhooks,
  });
  const mixed = mixedPods(p);
  const decision = !p.isRunningPod
    ? expected
    : containerNames.includes('istio-proxy')
      ? { proxy: 'sidecar' as const, reason: 'running pod has an istio-proxy container' }
      : mixed
        ? { ...runningPodWithoutSidecar(expected), reason: mixedReason(mixed, expected) }
        : runningPodWithoutSidecar(expected);
  const gateway = routerReason(containers, p.podAnnotations, decision.proxy);
  return {
    kind: p.kind,
    meta: p.meta,
    podLabels: p.podLabels,
    podAnnotations: p.podAnnotations,
    serviceAccount: p.spec.serviceAccountName ?? p.spec.serviceAccount ?? 'default',
    containerNames,
    // A UDP or SCTP container port is never behind the sidecar: no mTLS mode applies to it.
    ports: p.spec.containers.flatMap((c) =>
      (c.ports ?? [])
        .filter((port) => carriesMeshTraffic(port.protocol))
        .map((port) => ({ containerPort: port.containerPort, name: port.name })),
    ),
    hostNetwork: p.spec.hostNetwork ?? false,
    httpProbePorts: httpProbePorts(p.spec.containers),
    proxy: decision.proxy,
    proxyReason: decision.reason,
    podNames: p.podNames,
    ...(mixed ? { mixedPods: mixed } : {}),
    tlsMode: podTlsMode(p.podLabels, {
      runningPod: p.isRunningPod,
      proxy: decision.proxy,
      gateway: !!gateway,
    }),
    ...(gateway ? { gateway: { reason: gateway } } : {}),
  };
}

/** The running pods split by the sidecar, when some have it and some do not. */
function mixedPods(p: PendingWorkload): Workload['mixedPods'] {
  if (p.sidecarPods.length === 0 || p.sidecarPods.length === p.podNames.length) return undefined;
  const withSidecar = new Set(p.sidecarPods);
  return { withSidecar: p.sidecarPods, without: p.podNames.filter((n) => !withSidecar.has(n)) };
}

function mixedReason(mixed: NonNullable<Workload['mixedPods']>, expected: { reason: string }): string {
  const total = mixed.without.length + mixed.withSidecar.length;
  const shown = mixed.without.slice(0, 3).join(', ') + (mixed.without.length > 3 ? ', …' : '');
  return `${mixed.without.length} of ${total} running pods have no istio-proxy container (${shown}) and ${mixed.withSidecar.length} have one: a rollout in progress, or pods started before injection changed (${expected.reason})`;
}

// A running pod without an istio-proxy container has no sidecar whatever its labels say; it may still
// be enrolled in ambient, and if its namespace asks for injection it was started before that label.
function runningPodWithoutSidecar(expected: { proxy: string; reason: string }): {
  proxy: 'ambient' | 'none';
  reason: string;
} {
  if (expected.proxy === 'ambient') return { proxy: 'ambient', reason: expected.reason };
  if (expected.proxy === 'sidecar') {
    return { proxy: 'none', reason: `running pod has no istio-proxy container although ${expected.reason}` };
  }
  return { proxy: 'none', reason: expected.reason };
}

/** The webhooks of a configuration that the API server calls at a Service (not at a URL). */
function toAdmissionWebhooks(
  kind: string,
  meta: ObjectMeta,
  spec: z.infer<typeof mutatingWebhookConfigurationSchema>,
): AdmissionWebhook[] {
  return (spec.webhooks ?? []).flatMap((w) => {
    const service = w.clientConfig?.service;
    if (!service) return [];
    return [
      {
        configuration: { kind, name: meta.name },
        name: w.name,
        service: { namespace: service.namespace, name: service.name, port: service.port ?? 443 },
        failurePolicy: w.failurePolicy === 'Ignore' ? ('Ignore' as const) : ('Fail' as const),
        source: meta.source,
      },
    ];
  });
}

// Istio names every injector webhook `<prefix>sidecar-injector.istio.io` (mutatingwebhook.yaml, and the
// revision-tag webhooks istioctl creates from it); other webhooks do not inject sidecars.
function toInjectionWebhooks(
  configuration: string,
  spec: z.infer<typeof mutatingWebhookConfigurationSchema>,
): InjectionWebhook[] {
  return (spec.webhooks ?? [])
    .filter((w) => w.name.endsWith('sidecar-injector.istio.io'))
    .map((w) => ({
      configuration,
      name: w.name,
      namespaceSelector: toLabelSelector(w.namespaceSelector),
      objectSelector: toLabelSelector(w.objectSelector),
    }));
}

type LabelSelectorInput = NonNullable<
  z.infer<typeof mutatingWebhookConfigurationSchema>['webhooks']
>[number]['namespaceSelector'];

function toLabelSelector(selector: LabelSelectorInput): LabelSelector | undefined {
  if (!selector) return undefined;
  return {
    matchLabels: selector.matchLabels ?? undefined,
    matchExpressions: (selector.matchExpressions ?? []).map((e) => ({
      key: e.key,
      operator: e.operator,
      values: e.values ?? [],
    })),
  };
}

const EXPORT_TO_ANNOTATION = 'networking.istio.io/exportTo';

function toService(meta: ObjectMeta, spec: z.infer<typeof serviceSpecSchema>): Service {
  // kube/conversion.go ConvertService: the annotation split at commas, each entry trimmed.
  const exportTo = meta.annotations[EXPORT_TO_ANNOTATION];
  return {
    meta,
    ...(exportTo ? { exportTo: exportTo.split(',').map((ns) => ns.trim()) } : {}),
    selector: spec.selector && Object.keys(spec.selector).length > 0 ? spec.selector : undefined,
    headless: spec.clusterIP === 'None',
    type: spec.type,
    ...(spec.clusterIP && spec.clusterIP !== 'None' ? { clusterIP: spec.clusterIP } : {}),
    ports: (spec.ports ?? []).map((p) => ({
      name: p.name,
      port: p.port,
      targetPort: p.targetPort ?? p.port,
      protocol: p.protocol,
      appProtocol: p.appProtocol,
    })),
  };
}

function toPeerAuthentication(
  meta: ObjectMeta,
  spec: z.infer<typeof peerAuthenticationSpecSchema>,
): PeerAuthentication {
  const selector = spec.selector?.matchLabels ?? undefined;
  const portLevelMtls = new Map<number, MtlsMode>();
  for (const [port, setting] of Object.entries(spec.portLevelMtls ?? {})) {
    portLevelMtls.set(Number(port), setting?.mode ?? 'UNSET');
  }
  return {
    meta,
    selector: selector && Object.keys(selector).length > 0 ? selector : undefined,
    mode: spec.mtls ? (spec.mtls.mode ?? 'UNSET') : undefined,
    portLevelMtls,
  };
}

type TrafficPolicyInput = NonNullable<z.infer<typeof destinationRuleSpecSchema>['trafficPolicy']>;

function toTls(tls: TrafficPolicyInput['tls']): ClientTlsSettings | undefined {
  return tls ?? undefined;
}

function toTrafficPolicy(policy: TrafficPolicyInput | null | undefined): TrafficPolicy | undefined {
  if (!policy) return undefined;
  return {
    tls: toTls(policy.tls),
    loadBalancerSimple: policy.loadBalancer?.simple,
    portLevelSettings: (policy.portLevelSettings ?? [])
      .filter((p) => p.port?.number !== undefined)
      .map((p) => ({
        port: p.port?.number ?? 0,
        tls: toTls(p.tls),
        loadBalancerSimple: p.loadBalancer?.simple,
      })),
  };
}

function toDestinationRule(
  meta: ObjectMeta,
  spec: z.infer<typeof destinationRuleSpecSchema>,
): DestinationRule {
  const selector = spec.workloadSelector?.matchLabels ?? undefined;
  return {
    meta,
    host: spec.host,
    exportTo: spec.exportTo ?? [],
    workloadSelector: selector && Object.keys(selector).length > 0 ? selector : undefined,
    trafficPolicy: toTrafficPolicy(spec.trafficPolicy),
    subsets: (spec.subsets ?? []).map((s) => ({
      name: s.name,
      labels: s.labels ?? {},
      trafficPolicy: toTrafficPolicy(s.trafficPolicy),
    })),
  };
}

function toServiceEntry(meta: ObjectMeta, spec: z.infer<typeof serviceEntrySpecSchema>): ServiceEntry {
  return {
    meta,
    hosts: spec.hosts,
    addresses: spec.addresses ?? [],
    ports: (spec.ports ?? []).map((p) => ({
      number: p.number,
      name: p.name,
      protocol: p.protocol.toUpperCase(),
      targetPort: p.targetPort,
    })),
    location: spec.location,
    resolution: spec.resolution,
    exportTo: spec.exportTo ?? [],
    workloadSelector: spec.workloadSelector?.labels ?? undefined,
  };
}

function toVirtualService(meta: ObjectMeta, spec: z.infer<typeof virtualServiceSpecSchema>): VirtualService {
  const routes = (['http', 'tcp', 'tls'] as const).flatMap((kind) =>
    (spec[kind] ?? []).map((r, i) => {
      const matches = r.match ?? [];
      // A route without matches, or with a match that names no port, takes every port.
      const anyPort = matches.length === 0 || matches.some((m) => m?.port === undefined);
      return {
        kind,
        path: `spec.${kind}[${i}]`,
        ports: anyPort ? undefined : matches.map((m) => m?.port as number),
        destinations: (r.route ?? []).map((d) => ({
          host: d.destination.host,
          subset: d.destination.subset,
          port: d.destination.port?.number,
        })),
      };
    }),
  );
  return {
    meta,
    hosts: spec.hosts ?? [],
    gateways: spec.gateways ?? [],
    exportTo: spec.exportTo ?? [],
    routes,
  };
}

function toWaypointGateway(
  meta: ObjectMeta,
  spec: z.infer<typeof gatewaySpecSchema>,
  status: z.infer<typeof gatewayStatusSchema> | undefined,
): WaypointGateway {
  const trafficType = meta.labels['istio.io/waypoint-for'];
  // istio waypoints.go makeAllowedRoutes: the HBONE listener on 15008 decides, "Same" without one;
  // makeWaypointSelector: "Same" when allowedRoutes.namespaces or its `from` is absent.
  const hbone = (spec.listeners ?? []).find((l) => l.protocol === 'HBONE' && l.port === 15008);
  const namespaces = hbone?.allowedRoutes?.namespaces;
  const from = namespaces?.from === 'All' || namespaces?.from === 'Selector' ? namespaces.from : 'Same';
  const selector = from === 'Selector' ? toLabelSelector(namespaces?.selector) : undefined;
  return {
    meta,
    gatewayClassName: spec.gatewayClassName,
    ...(trafficType ? { trafficType } : {}),
    allowedRoutes: { from, ...(selector ? { selector } : {}) },
    // gatewayToWaypointTransform skips a Gateway without status.addresses. A manifest usually has no
    // status at all: that says nothing; a status without addresses (live) means not programmed yet.
    ...(status && (status.addresses ?? []).length === 0 ? { unprogrammed: true } : {}),
  };
}

function toSidecar(meta: ObjectMeta, spec: z.infer<typeof sidecarSpecSchema>): SidecarResource {
  const selector = spec.workloadSelector?.labels ?? undefined;
  return {
    meta,
    // An empty selector still makes it a selector Sidecar for Istio (WorkloadSelector != nil) and
    // matches every workload; keep it as an empty object.
    workloadSelector: spec.workloadSelector ? (selector ?? {}) : undefined,
    egress: (spec.egress ?? []).map((e) => ({
      port: e.port?.number,
      protocol: e.port?.protocol,
      hosts: e.hosts,
    })),
    outboundTrafficPolicy: spec.outboundTrafficPolicy?.mode,
  };
}

function mergeMeshConfig(
  current: MeshConfig,
  parsed: z.infer<typeof meshConfigSchema>,
  meta: ObjectMeta,
  kind: string,
  raw: RawObject,
): MeshConfig {
  return {
    rootNamespace: parsed.rootNamespace ?? current.rootNamespace,
    enableAutoMtls: parsed.enableAutoMtls ?? current.enableAutoMtls,
    trustDomain: parsed.trustDomain ?? current.trustDomain,
    defaultDestinationRuleExportTo:
      parsed.defaultDestinationRuleExportTo ?? current.defaultDestinationRuleExportTo,
    defaultServiceExportTo: parsed.defaultServiceExportTo ?? current.defaultServiceExportTo,
    outboundTrafficPolicy: parsed.outboundTrafficPolicy?.mode ?? current.outboundTrafficPolicy,
    ...proxyMetadataOf(parsed, current),
    ...trustDomainAliasesOf(parsed, current),
    source: { kind, namespace: meta.namespace, name: meta.name, location: raw.location },
  };
}

// Only when set, so a mesh config without it compares equal to one read before this was.
function proxyMetadataOf(parsed: z.infer<typeof meshConfigSchema>, current: MeshConfig): Partial<MeshConfig> {
  const metadata = parsed.defaultConfig?.proxyMetadata ?? current.defaultProxyMetadata;
  return metadata ? { defaultProxyMetadata: metadata } : {};
}

// Istio adds the aliases of each mesh config it layers to those it had (pkg/config/mesh/mesh.go
// ApplyMeshConfig), where other fields are replaced. Only when some are set, as for proxyMetadata.
function trustDomainAliasesOf(
  parsed: z.infer<typeof meshConfigSchema>,
  current: MeshConfig,
): Partial<MeshConfig> {
  const aliases = [...new Set([...(current.trustDomainAliases ?? []), ...(parsed.trustDomainAliases ?? [])])];
  return aliases.length > 0 ? { trustDomainAliases: aliases.sort() } : {};
}

interface ConfigMapHandlers {
  onMesh(parsed: z.infer<typeof meshConfigSchema>): void;
  onInjector(config: InjectorConfig): void;
  onCertificate(cert: CertificateSource): void;
}

// ConfigMap `istio` (or `istio-<revision>`) key `mesh` holds MeshConfig as YAML; `istio-sidecar-injector`
// key `values` holds the injector's Helm values as JSON; `istio-ca-root-cert` holds the mesh root.
function readConfigMap(
  meta: ObjectMeta,
  data: Record<string, string>,
  raw: RawObject,
  on: ConfigMapHandlers,
): void {
  const ref = { kind: 'ConfigMap', namespace: meta.namespace, name: meta.name };
  if ((meta.name === 'istio' || meta.name.startsWith('istio-')) && data.mesh !== undefined) {
    // Istio reads the mesh config with sigs.k8s.io/yaml, i.e. go-yaml v2: YAML 1.1, where `yes`, `on`,
    // `n` are booleans (protomarshal.ApplyYAML). Read as YAML 1.2 they are strings, and a valid
    // `enableAutoMtls: yes` would fail here although istiod takes it as true.
    const mesh = parseEmbedded(data.mesh, raw, ['data', 'mesh'], ref, '1.1');
    const parsed = meshConfigSchema.safeParse(mesh ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw invalid(
        raw,
        ['data', 'mesh'],
        `data.mesh.${issue?.path.join('.')}: ${issue?.message}`,
        `ConfigMap ${meta.namespace}/${meta.name}`,
      );
    }
    on.onMesh(parsed.data);
  }
  if (meta.name.startsWith('istio-sidecar-injector') && data.values !== undefined) {
    const values = injectorValuesSchema.safeParse(
      parseEmbedded(data.values, raw, ['data', 'values'], ref) ?? {},
    );
    const rewrite = values.success ? values.data.sidecarInjectorWebhook?.rewriteAppHTTPProbe : undefined;
    on.onInjector({ rewriteAppHTTPProbe: rewrite ?? true, source: { ...ref, location: raw.location } });
  }
  if (meta.name === 'istio-ca-root-cert' && data['root-cert.pem'] !== undefined) {
    on.onCertificate({
      role: 'namespace-root',
      owner: ref,
      key: 'root-cert.pem',
      pem: data['root-cert.pem'],
      location: fieldLocation(raw, ['data', 'root-cert.pem']),
    });
  }
}

function parseEmbedded(
  text: string,
  raw: RawObject,
  path: string[],
  ref: { namespace: string; name: string },
  version: '1.1' | '1.2' = '1.2',
): unknown {
  try {
    return parseYaml(text, { version });
  } catch (error) {
    throw invalid(
      raw,
      path,
      `${path.join('.')} is not valid YAML/JSON: ${(error as Error).message.split('\n')[0]}`,
      `ConfigMap ${ref.namespace}/${ref.name}`,
    );
  }
}

// Plug-in CA (`cacerts`): ca-cert.pem, root-cert.pem, cert-chain.pem, or tls.crt/ca.crt.
// Self-signed CA (`istio-ca-secret`): ca-cert.pem is the root itself.
const CA_SECRET_KEYS: ReadonlyArray<[string, CertificateSource['role']]> = [
  ['root-cert.pem', 'ca-root'],
  ['ca.crt', 'ca-root'],
  ['ca-cert.pem', 'ca-cert'],
  ['tls.crt', 'ca-cert'],
  ['cert-chain.pem', 'ca-chain'],
];

function caSecretCertificates(
  meta: ObjectMeta,
  secret: z.infer<typeof secretDataSchema>,
  raw: RawObject,
): CertificateSource[] {
  const owner = { kind: 'Secret', namespace: meta.namespace, name: meta.name };
  const found: CertificateSource[] = [];
  for (const [key, role] of CA_SECRET_KEYS) {
    const fromString = secret.stringData?.[key];
    const encoded = secret.data?.[key];
    const pem =
      fromString ?? (encoded !== undefined ? Buffer.from(encoded, 'base64').toString('utf8') : undefined);
    if (pem === undefined) continue;
    const field = fromString !== undefined ? 'stringData' : 'data';
    // A self-signed istio-ca-secret has no separate root: its ca-cert.pem is the root.
    const effectiveRole = meta.name === 'istio-ca-secret' && key === 'ca-cert.pem' ? 'ca-root' : role;
    found.push({
      role: effectiveRole,
      owner,
      key,
      pem,
      location: fieldLocation(raw, [field, key]),
    });
  }
  return found;
}

function fieldLocation(raw: RawObject, path: readonly (string | number)[]): SourceLocation | undefined {
  return raw.location ? { file: raw.location.file, line: raw.lineOf(path) } : undefined;
}
