import { afterEach, describe, expect, it } from 'vitest';
import { blockingGaps, diagnose } from '../../src/engine/diagnose.js';
import { createKubeApi } from '../../src/snapshot/live/kube-api.js';
import { ClusterUnavailableError, readClusterSnapshot } from '../../src/snapshot/live/read-cluster.js';
import { FakeKubeApi } from '../helpers/fake-kube-api.js';

const ns = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
});
function pod(namespace: string, app: string, sidecar: boolean, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${app}-5d8f7c9b4-x2x9z`,
      namespace,
      labels: {
        app,
        'pod-template-hash': '5d8f7c9b4',
        ...(sidecar ? { 'security.istio.io/tlsMode': 'istio' } : {}),
      },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': 'x'.repeat(2000) },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-5d8f7c9b4`, uid: 'u', controller: true },
      ],
    },
    spec: {
      serviceAccountName: app,
      containers: [
        { name: app, image: `example/${app}`, ports: [{ containerPort: 8080 }] },
        ...(sidecar ? [{ name: 'istio-proxy', image: 'istio/proxyv2' }] : []),
      ],
    },
    status: { phase: 'Running' },
    ...extra,
  };
}
const service = (namespace: string, app: string) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: app, namespace },
  spec: { selector: { app }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
});
const strict = (namespace: string) => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'PeerAuthentication',
  metadata: { name: 'default', namespace, creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: { mtls: { mode: 'STRICT' } },
});

const sidecar = (namespace: string) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'Sidecar',
  metadata: { name: 'default', namespace },
  spec: { egress: [{ hosts: ['./*', 'istio-system/*'] }] },
});
const virtualService = (namespace: string) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'app', namespace },
  spec: { hosts: ['app'], http: [{ route: [{ destination: { host: 'app', subset: 'v1' } }] }] },
});
const waypoint = (namespace: string) => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'waypoint', namespace },
  spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
});

function smallMesh(api: FakeKubeApi, extraNamespaces = 0): FakeKubeApi {
  api.add(ns('istio-system'), ns('payments', { 'istio-injection': 'enabled' }), ns('legacy'));
  api.add(
    pod('payments', 'payments', true),
    service('payments', 'payments'),
    strict('payments'),
    pod('legacy', 'batch', false),
  );
  for (let i = 0; i < extraNamespaces; i++)
    api.add(
      ns(`team-${i}`, { 'istio-injection': 'enabled' }),
      pod(`team-${i}`, 'app', true),
      sidecar(`team-${i}`),
      virtualService(`team-${i}`),
      waypoint(`team-${i}`),
    );
  return api;
}

let fake: FakeKubeApi;
afterEach(async () => fake?.stop());

async function read(setup: (api: FakeKubeApi) => void, options = {}) {
  fake = new FakeKubeApi();
  setup(fake);
  const server = await fake.start();
  const api = createKubeApi({ kubeConfig: fake.kubeConfig(server), requestTimeoutMs: 500 });
  return readClusterSnapshot(api, { backoffMs: 1, ...options });
}

describe('reading a live cluster', () => {
  it('lists every kind cluster-wide with the bearer token and finds the legacy client', async () => {
    const { snapshot, requests } = await read((api) => smallMesh(api));
    expect(snapshot.gaps).toEqual([]);
    expect(
      snapshot.workloads.map((w) => `${w.kind} ${w.meta.namespace}/${w.meta.name} ${w.proxy}`).sort(),
    ).toEqual(['Deployment legacy/batch none', 'Deployment payments/payments sidecar']);
    // Only Istio's annotations are kept from pods.
    expect(snapshot.workloads[0]?.podAnnotations).toEqual({});
    expect(fake.requests.every((r) => r.authorization === 'Bearer test-token')).toBe(true);
    expect(requests).toBe(fake.requests.length);
    const codes = diagnose(snapshot).findings.map((f) => f.code);
    expect(codes).toContain('strict-plaintext-clients');
  });

  // The istio-cni node agent annotates a pod it has enrolled in ztunnel redirection
  // (cni/pkg/util/podutil.go PodFullyEnrolled; pilot's ambient setTunnelProtocol reads it too).
  it('the reduced pod keeps ambient.istio.io/redirection, and drops other annotations', async () => {
    const { snapshot } = await read((api) => {
      api.add(ns('amb', { 'istio.io/dataplane-mode': 'ambient' }));
      const enrolled = pod('amb', 'api', false);
      const annotations: Record<string, string> = enrolled.metadata.annotations;
      annotations['ambient.istio.io/redirection'] = 'enabled';
      api.add(enrolled);
    });
    const workload = snapshot.workloads.find((w) => w.meta.namespace === 'amb');
    expect(workload?.proxy).toBe('ambient');
    expect(workload?.podAnnotations).toEqual({ 'ambient.istio.io/redirection': 'enabled' });
  });

  it('makes the same number of requests for 10 or 2,000 namespaces (no request per namespace or pod)', async () => {
    // Default page size, as `check` uses it.
    const small = await read((api) => smallMesh(api, 10));
    await fake.stop();
    const large = await read((api) => smallMesh(api, 2000));
    expect(large.snapshot.workloads.length).toBe(2002);
    // Every namespace's Sidecar and VirtualService come in the same cluster-wide LISTs.
    expect(large.snapshot.sidecars).toHaveLength(2000);
    expect(large.snapshot.virtualServices).toHaveLength(2000);
    expect(large.snapshot.waypointGateways).toHaveLength(2000);
    expect(large.requests).toBe(small.requests);
    // namespaces, pods, services, Istio's ConfigMaps, the root certs, Gateways, AuthorizationPolicies and the five Istio kinds.
    expect(small.requests).toBe(14);
    expect(fake.requests.map((r) => r.path)).toEqual(
      expect.arrayContaining([
        '/apis/networking.istio.io/v1/sidecars',
        '/apis/networking.istio.io/v1/virtualservices',
        '/apis/gateway.networking.k8s.io/v1/gateways',
      ]),
    );
  });

  it('follows continue tokens page by page', async () => {
    const { snapshot } = await read((api) => smallMesh(api, 30), { pageSize: 7 });
    expect(snapshot.workloads).toHaveLength(32);
    const podPages = fake.requests.filter((r) => r.path === '/api/v1/pods');
    expect(podPages.map((r) => r.query.get('limit'))).toEqual(['7', '7', '7', '7', '7']);
    expect(podPages[0]?.query.get('continue')).toBeNull();
    expect(podPages[1]?.query.get('continue')).not.toBeNull();
    expect(snapshot.sidecars).toHaveLength(30);
    expect(fake.requests.filter((r) => r.path === '/apis/networking.istio.io/v1/sidecars')).toHaveLength(5);
  });

  it('a 403 on VirtualServices is a gap naming its RBAC rule; the rest is read', async () => {
    const { snapshot } = await read((api) =>
      smallMesh(api, 2).fault('/apis/networking.istio.io/v1/virtualservices', {
        status: 403,
        reason: 'Forbidden',
        message: 'virtualservices.networking.istio.io is forbidden',
      }),
    );
    expect(snapshot.gaps.map((g) => g.source)).toEqual([
      'virtualservices.networking.istio.io list (all namespaces)',
    ]);
    expect(snapshot.gaps[0]?.reason).toContain(
      'RBAC verb "list" on resource "virtualservices" in API group "networking.istio.io"',
    );
    expect(snapshot.sidecars).toHaveLength(2);
  });

  it('reads the webhook configurations the API server calls (reduced: no CA bundle) and judges them', async () => {
    const webhooks = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'payments-policy', annotations: { big: 'x'.repeat(1000) } },
      webhooks: [
        {
          name: 'validate.payments.example.com',
          clientConfig: {
            caBundle: 'Q'.repeat(4000),
            service: { namespace: 'payments', name: 'payments', port: 80 },
          },
          rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
        },
      ],
    };
    const { snapshot } = await read((api) => smallMesh(api).add(webhooks));
    expect(snapshot.gaps).toEqual([]);
    expect(snapshot.admissionWebhooks).toEqual([
      {
        configuration: { kind: 'ValidatingWebhookConfiguration', name: 'payments-policy' },
        name: 'validate.payments.example.com',
        service: { namespace: 'payments', name: 'payments', port: 80 },
        failurePolicy: 'Fail',
        source: undefined,
      },
    ]);
    const finding = diagnose(snapshot).findings.find((f) => f.code === 'admission-webhook-strict');
    expect(finding?.message).toContain(
      'at payments/payments:80, but payments/payments requires mTLS on port 8080',
    );
  });

  it('without RBAC for webhook configurations the check is complete and says what it skipped', async () => {
    const { snapshot } = await read((api) =>
      smallMesh(api).fault('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
        status: 403,
        reason: 'Forbidden',
        message: 'validatingwebhookconfigurations is forbidden',
      }),
    );
    expect(snapshot.gaps).toEqual([
      expect.objectContaining({
        source: 'validatingwebhookconfigurations.admissionregistration.k8s.io list (all namespaces)',
        optional: true,
      }),
    ]);
    expect(blockingGaps(diagnose(snapshot))).toEqual([]);
  });

  it('reads AuthorizationPolicies and judges calls without mTLS against them', async () => {
    const requireMtls = {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'allow-payments', namespace: 'payments' },
      // legacy is let in by its identity: only its missing sidecar (plaintext, no identity) keeps it out.
      spec: { rules: [{ from: [{ source: { namespaces: ['payments', 'legacy'] } }] }] },
    };
    const permissive = { ...strict('payments'), spec: { mtls: { mode: 'PERMISSIVE' } } };
    const { snapshot } = await read((api) => {
      api.add(ns('istio-system'), ns('payments', { 'istio-injection': 'enabled' }), ns('legacy'));
      api.add(pod('payments', 'payments', true), service('payments', 'payments'), permissive);
      api.add(pod('legacy', 'batch', false), requireMtls);
    });
    expect(snapshot.gaps).toEqual([]);
    expect(snapshot.authorizationPolicies?.map((p) => p.meta.name)).toEqual(['allow-payments']);
    expect(fake.requests.map((r) => r.path)).toContain('/apis/security.istio.io/v1/authorizationpolicies');
    const finding = diagnose(snapshot).findings.find((f) => f.code === 'authorization-requires-mtls');
    expect(finding?.message).toContain('legacy/batch cannot reach payments/payments:80');
  });

  it('without RBAC for AuthorizationPolicies the mTLS check is complete and says authorization was not checked', async () => {
    const { snapshot } = await read((api) =>
      smallMesh(api).fault('/apis/security.istio.io/v1/authorizationpolicies', {
        status: 403,
        reason: 'Forbidden',
        message: 'authorizationpolicies.security.istio.io is forbidden',
      }),
    );
    expect(snapshot.gaps).toEqual([
      {
        source: 'authorizationpolicies.security.istio.io list (all namespaces)',
        reason: expect.stringMatching(
          /RBAC verb "list" on resource "authorizationpolicies" in API group "security.istio.io"; AuthorizationPolicies were not checked/,
        ),
        optional: true,
      },
    ]);
    expect(blockingGaps(diagnose(snapshot))).toEqual([]);
    expect(diagnose(snapshot).findings.map((f) => f.code)).toContain('strict-plaintext-clients');
  });

  it('a cluster that does not serve AuthorizationPolicies has none: no gap', async () => {
    const { snapshot } = await read((api) =>
      smallMesh(api)
        .fault('/apis/security.istio.io/v1/authorizationpolicies', { status: 404, reason: 'NotFound' })
        .fault('/apis/security.istio.io/v1beta1/authorizationpolicies', { status: 404, reason: 'NotFound' }),
    );
    expect(snapshot.gaps).toEqual([]);
    expect(snapshot.authorizationPolicies).toEqual([]);
  });

  it('a 403 on PeerAuthentications becomes a gap naming the RBAC verb, resource and group', async () => {
    const { snapshot } = await read((api) =>
      smallMesh(api).fault('/apis/security.istio.io/v1/peerauthentications', {
        status: 403,
        reason: 'Forbidden',
        message:
          'peerauthentications.security.istio.io is forbidden: User "system:serviceaccount:mtls:doctor" cannot list resource "peerauthentications" in API group "security.istio.io" at the cluster scope',
      }),
    );
    expect(snapshot.gaps).toHaveLength(1);
    expect(snapshot.gaps[0]?.source).toBe('peerauthentications.security.istio.io list (all namespaces)');
    expect(snapshot.gaps[0]?.reason).toContain(
      'RBAC verb "list" on resource "peerauthentications" in API group "security.istio.io"',
    );
    const diagnosis = diagnose(snapshot);
    expect(diagnosis.gaps).toHaveLength(1);
  });

  it('retries 5xx answers with backoff and succeeds', async () => {
    const { snapshot } = await read((api) =>
      smallMesh(api).fault('/api/v1/services', { status: 503, reason: 'ServiceUnavailable', times: 2 }),
    );
    expect(snapshot.gaps).toEqual([]);
    expect(fake.requests.filter((r) => r.path === '/api/v1/services')).toHaveLength(3);
  });

  it('a slow API server times out, is retried, then reported', async () => {
    const { snapshot } = await read((api) => smallMesh(api).fault('/api/v1/pods', { delayMs: 2000 }), {
      attempts: 2,
    });
    expect(snapshot.gaps.map((g) => g.source)).toEqual(['pods list (all namespaces)']);
    expect(snapshot.gaps[0]?.reason).toContain('timed out');
  });

  it('missing Istio CRDs say Istio is not installed; v1beta1 is used when v1 is not served', async () => {
    const { snapshot } = await read((api) => {
      smallMesh(api)
        .unserve('security.istio.io/v1')
        .unserve('networking.istio.io/v1')
        .unserve('networking.istio.io/v1beta1');
    });
    expect(snapshot.peerAuthentications).toHaveLength(1);
    expect(snapshot.gaps.map((g) => g.source)).toEqual([
      'destinationrules.networking.istio.io',
      'serviceentries.networking.istio.io',
      'sidecars.networking.istio.io',
      'virtualservices.networking.istio.io',
    ]);
    for (const gap of snapshot.gaps) expect(gap.reason).toContain('Istio is not installed');
  });

  it('an unreachable API server is an error, not an empty mesh', async () => {
    fake = new FakeKubeApi();
    const server = await fake.start();
    await fake.stop();
    const api = createKubeApi({ kubeConfig: fake.kubeConfig(server), requestTimeoutMs: 500 });
    await expect(readClusterSnapshot(api, { backoffMs: 1 })).rejects.toThrowError(ClusterUnavailableError);
  });
});
