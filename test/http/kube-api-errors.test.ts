// How the Kubernetes API's failures (403, 410 on a continue token, 5xx, timeouts) come out of a live
// read: client-node's own HTTP calls, intercepted with nock, through readClusterSnapshot. Whatever cannot
// be read is a gap that names the resource; nothing silently becomes "no problems". The whole read
// against a loopback API server is in test/live.
import { KubeConfig } from '@kubernetes/client-node';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createKubeApi } from '../../src/snapshot/live/kube-api.js';
import { readClusterSnapshot } from '../../src/snapshot/live/read-cluster.js';

const KUBE = 'http://kube.test';
const LIMIT = { limit: '5000' };

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.abortPendingRequests();
  nock.cleanAll();
});

function kubeConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    // client-node refuses plain HTTP unless TLS verification is off (there is no TLS to verify).
    clusters: [{ name: 'test', server: KUBE, skipTLSVerify: true }],
    users: [{ name: 'reader', token: 'reader-token' }],
    contexts: [{ name: 'test', cluster: 'test', user: 'reader' }],
    currentContext: 'test',
  });
  return config;
}

const list = (items: unknown[], next?: string) => ({
  kind: 'List',
  apiVersion: 'v1',
  metadata: next ? { continue: next } : {},
  items,
});
const status = (code: number, reason: string, message: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  code,
  reason,
  message,
});
const ns = (name: string) => ({ metadata: { name, labels: { 'istio-injection': 'enabled' } } });
const pod = (namespace: string, app: string) => ({
  metadata: { name: `${app}-7d9f`, namespace, labels: { app } },
  spec: { serviceAccountName: app, containers: [{ name: app, ports: [{ containerPort: 8080 }] }] },
  status: { phase: 'Running' },
});

/**
 * A small healthy cluster for every request the test does not answer itself. Registered after the
 * test's own interceptors, which nock tries first; so a retry that reaches this succeeds.
 */
function answerTheRest(): void {
  const notFound = status(404, 'NotFound', 'not found');
  nock(KUBE)
    .persist()
    .get('/api/v1/namespaces')
    .query(true)
    .reply(200, list([ns('payments')]))
    .get('/api/v1/pods')
    .query(true)
    .reply(200, list([pod('payments', 'payments')]))
    .get('/api/v1/services')
    .query(true)
    .reply(200, list([]))
    .get('/api/v1/namespaces/istio-system/configmaps')
    .query(true)
    .reply(200, list([]))
    .get('/api/v1/configmaps')
    .query(true)
    .reply(200, list([]))
    .get(/^\/api\/v1\/namespaces\/istio-system\/secrets\//)
    .reply(404, notFound)
    .get(
      /^\/apis\/(security\.istio\.io|networking\.istio\.io|gateway\.networking\.k8s\.io|admissionregistration\.k8s\.io)\/v1\/\w+/,
    )
    .query(true)
    .reply(200, list([]));
}

function read(options: { requestTimeoutMs?: number } = {}) {
  const api = createKubeApi({ kubeConfig: kubeConfig(), requestTimeoutMs: options.requestTimeoutMs ?? 2000 });
  return readClusterSnapshot(api, { backoffMs: 1 });
}

describe('client-node errors through a live read (nock)', () => {
  it('a healthy answer reads with no gaps, sending the bearer token (nock sees client-node)', async () => {
    let authorization: string | undefined;
    nock(KUBE)
      .get('/api/v1/namespaces')
      .query(LIMIT)
      .reply(function () {
        authorization = String(this.req.headers.authorization);
        return [200, list([ns('payments'), ns('legacy')])];
      });
    answerTheRest();
    const { snapshot } = await read();
    expect(snapshot.gaps).toEqual([]);
    expect(snapshot.namespaces.map((n) => n.name)).toEqual(['payments', 'legacy']);
    expect(authorization).toBe('Bearer reader-token');
  });

  it('403 on one LIST: a gap naming the RBAC verb, resource and group, not retried', async () => {
    nock(KUBE)
      .get('/apis/security.istio.io/v1/peerauthentications')
      .query(LIMIT)
      .reply(
        403,
        status(
          403,
          'Forbidden',
          'peerauthentications.security.istio.io is forbidden: User "system:serviceaccount:ops:reader" cannot list resource "peerauthentications" in API group "security.istio.io" at the cluster scope',
        ),
      );
    answerTheRest();
    const { snapshot } = await read();
    expect(snapshot.gaps).toHaveLength(1);
    const gap = snapshot.gaps[0];
    expect(gap?.source).toContain('peerauthentications.security.istio.io');
    expect(gap?.reason).toContain('403');
    expect(gap?.reason).toMatch(/\blist\b/);
    expect(gap?.reason).toContain('peerauthentications');
    expect(gap?.reason).toContain('security.istio.io');
    // The rest of the cluster was still read.
    expect(snapshot.namespaces.map((n) => n.name)).toEqual(['payments']);
  });

  it('410 Gone on a continue token: the LIST starts over, as client-go does, and is read whole (never a partial list passed as whole)', async () => {
    const firstPage = nock(KUBE)
      .get('/api/v1/namespaces')
      .query(LIMIT)
      .times(2)
      .reply(200, list([ns('payments')], 'page-2-token'));
    const expired = nock(KUBE)
      .get('/api/v1/namespaces')
      .query({ ...LIMIT, continue: 'page-2-token' })
      .reply(
        410,
        status(
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        ),
      );
    const secondPage = nock(KUBE)
      .get('/api/v1/namespaces')
      .query({ ...LIMIT, continue: 'page-2-token' })
      .reply(200, list([ns('legacy')]));
    answerTheRest();
    const { snapshot } = await read();
    expect(firstPage.isDone()).toBe(true);
    expect(expired.isDone()).toBe(true);
    expect(secondPage.isDone()).toBe(true);
    expect(snapshot.gaps.filter((g) => g.source.startsWith('namespaces'))).toEqual([]);
    // Only the second pass's pages: the payments page of the expired pass is not kept twice.
    expect(snapshot.namespaces.map((n) => n.name)).toEqual(['payments', 'legacy']);
  });

  it('500 then 200: retried and read, no gap', async () => {
    const failed = nock(KUBE)
      .get('/api/v1/pods')
      .query(LIMIT)
      .reply(500, status(500, 'InternalError', 'etcdserver: leader changed'));
    const answered = nock(KUBE)
      .get('/api/v1/pods')
      .query(LIMIT)
      .reply(200, list([pod('payments', 'checkout')]));
    nock(KUBE).persist().get('/api/v1/pods').query(true).reply(200, list([]));
    answerTheRest();
    const { snapshot } = await read();
    expect(failed.isDone()).toBe(true);
    expect(answered.isDone()).toBe(true);
    expect(snapshot.gaps).toEqual([]);
    expect(snapshot.workloads.map((w) => w.meta.name)).toContain('checkout-7d9f');
  });

  it('a persistent 5xx: three attempts, then a gap naming the resource and the status', async () => {
    const failing = nock(KUBE)
      .get('/api/v1/services')
      .query(LIMIT)
      .times(3)
      .reply(503, status(503, 'ServiceUnavailable', 'the server is currently unable to handle the request'));
    answerTheRest();
    const { snapshot } = await read();
    expect(failing.isDone()).toBe(true);
    expect(snapshot.gaps).toHaveLength(1);
    expect(snapshot.gaps[0]?.source).toMatch(/^services\b/);
    expect(snapshot.gaps[0]?.reason).toContain('503');
  });

  it('no answer within requestTimeoutMs: a gap that says the read timed out', async () => {
    const slow = nock(KUBE)
      .get('/api/v1/namespaces/istio-system/configmaps')
      .query(LIMIT)
      .times(3)
      .delay(1500)
      .reply(200, list([]));
    answerTheRest();
    const { snapshot } = await read({ requestTimeoutMs: 150 });
    expect(slow.isDone()).toBe(true);
    expect(snapshot.gaps).toHaveLength(1);
    expect(snapshot.gaps[0]?.source).toContain('configmaps');
    expect(snapshot.gaps[0]?.source).toContain('istio-system');
    expect(snapshot.gaps[0]?.reason).toContain('timed out');
  });

  it('a connection that never opens in time (delayConnection) is a timeout gap too', async () => {
    const slow = nock(KUBE)
      .get('/api/v1/services')
      .query(LIMIT)
      .times(3)
      .delayConnection(1500)
      .reply(200, list([]));
    answerTheRest();
    const { snapshot } = await read({ requestTimeoutMs: 150 });
    expect(slow.isDone()).toBe(true); // a timeout is retried like a 5xx
    expect(snapshot.gaps).toHaveLength(1);
    expect(snapshot.gaps[0]?.source).toMatch(/^services\b/);
    expect(snapshot.gaps[0]?.reason).toContain('timed out');
  });
});
