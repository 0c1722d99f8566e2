// Shapes of the Kubernetes and Istio objects we read, validated so that a malformed manifest gets a
// message naming the field, not a crash deep in the analysis. Unknown fields are dropped.
import * as z from 'zod';

// Strings only, as the API server keeps them: `version: 1.10` read as a number would be "1.1", which
// matches a different selector; kubectl rejects such a manifest, and so does the check.
const labels = z.record(z.string(), z.string()).nullish();
const port = z.coerce.number().int().min(1).max(65535);

export const metadataSchema = z.object({
  name: z.string().min(1, 'metadata.name is required'),
  namespace: z.string().optional(),
  labels,
  annotations: labels,
  // kubectl's and kustomize's output write `creationTimestamp: null` for an object not yet created.
  creationTimestamp: z.union([z.string(), z.date().transform((d) => d.toISOString())]).nullish(),
  resourceVersion: z.coerce.string().optional(),
  ownerReferences: z.array(z.object({ kind: z.string(), name: z.string() })).nullish(),
});

const probe = z.object({ httpGet: z.unknown().optional(), grpc: z.unknown().optional() }).nullish();
const container = z.object({
  name: z.string(),
  args: z.array(z.coerce.string()).nullish(),
  ports: z
    .array(z.object({ containerPort: port, name: z.string().optional(), protocol: z.string().optional() }))
    .nullish(),
  livenessProbe: probe,
  readinessProbe: probe,
  startupProbe: probe,
});

export const podSpecSchema = z.object({
  serviceAccountName: z.string().optional(),
  serviceAccount: z.string().optional(),
  hostNetwork: z.boolean().optional(),
  containers: z.array(container).default([]),
  initContainers: z.array(container).nullish(),
});

export const podTemplateSchema = z.object({
  metadata: z.object({ labels, annotations: labels }).nullish(),
  spec: podSpecSchema,
});

export const serviceSpecSchema = z.object({
  selector: labels,
  clusterIP: z.string().optional(),
  type: z.string().default('ClusterIP'),
  ports: z
    .array(
      z.object({
        name: z.string().optional(),
        port,
        targetPort: z.union([z.number().int(), z.string()]).optional(),
        protocol: z.string().default('TCP'),
        appProtocol: z.string().optional(),
      }),
    )
    .nullish(),
});

const mtlsMode = z.enum(['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT']);
const workloadSelector = z.object({ matchLabels: labels }).nullish();

export const peerAuthenticationSpecSchema = z.object({
  selector: workloadSelector,
  mtls: z.object({ mode: mtlsMode.optional() }).nullish(),
  portLevelMtls: z.record(z.string(), z.object({ mode: mtlsMode.optional() }).nullish()).nullish(),
});

const clientTls = z.object({
  mode: z.enum(['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL']).default('DISABLE'),
  sni: z.string().optional(),
  caCertificates: z.string().optional(),
  credentialName: z.string().optional(),
  clientCertificate: z.string().optional(),
  privateKey: z.string().optional(),
  insecureSkipVerify: z.boolean().optional(),
  subjectAltNames: z.array(z.string()).optional(),
});

const trafficPolicy = z.object({
  tls: clientTls.nullish(),
  loadBalancer: z.object({ simple: z.string().optional() }).nullish(),
  portLevelSettings: z
    .array(
      z.object({
        port: z.object({ number: port }).nullish(),
        tls: clientTls.nullish(),
        loadBalancer: z.object({ simple: z.string().optional() }).nullish(),
      }),
    )
    .nullish(),
});

export const destinationRuleSpecSchema = z.object({
  host: z.string().min(1, 'spec.host is required'),
  exportTo: z.array(z.string()).nullish(),
  workloadSelector: workloadSelector,
  trafficPolicy: trafficPolicy.nullish(),
  subsets: z.array(z.object({ name: z.string(), labels, trafficPolicy: trafficPolicy.nullish() })).nullish(),
});

export const serviceEntrySpecSchema = z.object({
  hosts: z.array(z.string()).min(1, 'spec.hosts needs at least one host'),
  addresses: z.array(z.string()).nullish(),
  ports: z
    .array(
      z.object({
        number: port,
        name: z.string().default(''),
        protocol: z.string().default(''),
        targetPort: port.optional(),
      }),
    )
    .nullish(),
  location: z.enum(['MESH_EXTERNAL', 'MESH_INTERNAL']).default('MESH_EXTERNAL'),
  resolution: z.string().default('NONE'),
  exportTo: z.array(z.string()).nullish(),
  workloadSelector: z.object({ labels }).nullish(),
});

const outboundTrafficPolicy = z
  .object({ mode: z.enum(['ALLOW_ANY', 'REGISTRY_ONLY', 'ALLOW_ANY_DYNAMIC_DNS']).optional() })
  .nullish();

/** networking.istio.io Sidecar: only what decides which services its proxies see. */
export const sidecarSpecSchema = z.object({
  workloadSelector: z.object({ labels }).nullish(),
  egress: z
    .array(
      z.object({
        port: z.object({ number: port.optional(), protocol: z.string().optional() }).nullish(),
        hosts: z.array(z.string()).min(1, 'egress listener needs at least one host'),
      }),
    )
    .nullish(),
  outboundTrafficPolicy,
});

const routeDestination = z.object({
  host: z.string().min(1, 'destination.host is required'),
  subset: z.string().optional(),
  port: z.object({ number: port.optional() }).nullish(),
});
const vsRoute = z.object({
  match: z.array(z.object({ port: port.optional() }).nullish()).nullish(),
  route: z.array(z.object({ destination: routeDestination })).nullish(),
});

/** networking.istio.io VirtualService: hosts, binding, and the destinations of its routes. */
export const virtualServiceSpecSchema = z.object({
  hosts: z.array(z.string()).nullish(),
  gateways: z.array(z.string()).nullish(),
  exportTo: z.array(z.string()).nullish(),
  http: z.array(vsRoute).nullish(),
  tcp: z.array(vsRoute).nullish(),
  tls: z.array(vsRoute).nullish(),
});

/** The parts of MeshConfig we use: from ConfigMap `istio` key `mesh`, or IstioOperator `spec.meshConfig`. */
export const meshConfigSchema = z.object({
  rootNamespace: z.string().optional(),
  enableAutoMtls: z.boolean().optional(),
  trustDomain: z.string().optional(),
  trustDomainAliases: z.array(z.string()).nullish(),
  defaultDestinationRuleExportTo: z.array(z.string()).optional(),
  defaultServiceExportTo: z.array(z.string()).optional(),
  outboundTrafficPolicy,
  defaultConfig: z.object({ proxyMetadata: labels }).nullish(),
});

export const injectorValuesSchema = z.object({
  sidecarInjectorWebhook: z.object({ rewriteAppHTTPProbe: z.boolean().optional() }).nullish(),
});

export const configMapDataSchema = z.object({ data: z.record(z.string(), z.string()).nullish() });
export const secretDataSchema = z.object({
  data: z.record(z.string(), z.string()).nullish(),
  stringData: z.record(z.string(), z.string()).nullish(),
});

const labelSelector = z
  .object({
    matchLabels: labels,
    matchExpressions: z
      .array(
        z.object({ key: z.string(), operator: z.string(), values: z.array(z.coerce.string()).nullish() }),
      )
      .nullish(),
  })
  .nullish();

/**
 * admissionregistration.k8s.io/v1 Validating- and MutatingWebhookConfiguration: what injection depends
 * on, and the Service the API server calls (its port defaults to 443, its failurePolicy to Fail).
 */
export const mutatingWebhookConfigurationSchema = z.object({
  webhooks: z
    .array(
      z.object({
        name: z.string(),
        namespaceSelector: labelSelector,
        objectSelector: labelSelector,
        failurePolicy: z.string().nullish(),
        clientConfig: z
          .object({
            service: z
              .object({ namespace: z.string(), name: z.string(), port: z.number().int().nullish() })
              .nullish(),
          })
          .nullish(),
      }),
    )
    .nullish(),
});

/**
 * gateway.networking.k8s.io Gateway: its class (istio-waypoint for waypoints) and which namespaces each
 * listener admits (a waypoint's HBONE listener decides who may use it).
 */
export const gatewaySpecSchema = z.object({
  gatewayClassName: z.string().min(1),
  listeners: z
    .array(
      z.object({
        port: z.number().nullish(),
        protocol: z.string().nullish(),
        allowedRoutes: z
          .object({
            namespaces: z.object({ from: z.string().nullish(), selector: labelSelector }).nullish(),
          })
          .nullish(),
      }),
    )
    .nullish(),
});

/** A Gateway's status: istiod takes it as a waypoint only once it has addresses. */
export const gatewayStatusSchema = z.object({
  addresses: z.array(z.unknown()).nullish(),
});

const stringList = z.array(z.coerce.string()).nullish();
const targetRef = z.object({
  group: z.string().nullish(),
  kind: z.string().nullish(),
  name: z.string().nullish(),
  namespace: z.string().nullish(),
});

/**
 * security.istio.io AuthorizationPolicy: who it binds to (selector, targetRef/targetRefs), its action
 * and the rules' fields (istio/api security/v1beta1/authorization_policy.proto).
 */
export const authorizationPolicySpecSchema = z.object({
  selector: workloadSelector,
  targetRef: targetRef.nullish(),
  targetRefs: z.array(targetRef).nullish(),
  action: z.string().nullish(),
  rules: z
    .array(
      z
        .object({
          from: z
            .array(
              z.object({
                source: z
                  .object({
                    principals: stringList,
                    notPrincipals: stringList,
                    requestPrincipals: stringList,
                    notRequestPrincipals: stringList,
                    namespaces: stringList,
                    notNamespaces: stringList,
                    serviceAccounts: stringList,
                    notServiceAccounts: stringList,
                    trustDomains: stringList,
                    notTrustDomains: stringList,
                    ipBlocks: stringList,
                    notIpBlocks: stringList,
                    remoteIpBlocks: stringList,
                    notRemoteIpBlocks: stringList,
                  })
                  .nullish(),
              }),
            )
            .nullish(),
          to: z
            .array(
              z.object({
                operation: z
                  .object({
                    hosts: stringList,
                    notHosts: stringList,
                    ports: stringList,
                    notPorts: stringList,
                    methods: stringList,
                    notMethods: stringList,
                    paths: stringList,
                    notPaths: stringList,
                  })
                  .nullish(),
              }),
            )
            .nullish(),
          when: z.array(z.object({ key: z.string(), values: stringList, notValues: stringList })).nullish(),
        })
        .nullish(),
    )
    .nullish(),
});
