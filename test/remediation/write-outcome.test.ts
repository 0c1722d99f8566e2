// What a failed write is recorded as. A 5xx does not prove the write did not happen (a proxy in front of
// the API server may answer 502 after the server carried it out): it is never `failed` on its face.
// A refusal (4xx) is.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { applyPlan, OutcomeUnknownError, RemediationError } from '../../src/remediation/apply.js';
import type { RemediationPlan } from '../../src/remediation/plans.js';
import { createKubeApi } from '../../src/snapshot/live/kube-api.js';
import { AuditLog } from '../../src/store/audit-store.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { paymentsCluster } from '../helpers/payments-cluster.js';

const POLICY = '/apis/security.istio.io/v1/namespaces/payments/peerauthentications/default';

let fake: FakeKubeApi;
let proxy: Server | undefined;
afterEach(async () => {
  proxy?.closeAllConnections();
  await new Promise((r) => (proxy ? proxy.close(r) : r(undefined)));
  proxy = undefined;
  await fake?.stop();
});

const PERMISSIVE: RemediationPlan = {
  id: 'set-mode-permissive:PeerAuthentication/payments/default',
  title: 'Switch PeerAuthentication payments/default to PERMISSIVE',
  risk: 'r',
  action: 'merge-patch',
  target: {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    namespace: 'payments',
    name: 'default',
  },
  body: { spec: { mtls: { mode: 'PERMISSIVE' } } },
  kubectl: 'k',
};

/**
 * A proxy in front of `upstream` that passes every request on and, for the real (not dry-run) PATCH,
 * answers 502 once the API server has carried it out, as a gateway whose upstream answer was lost does.
 */
async function badGateway(upstream: string): Promise<string> {
  const target = new URL(upstream);
  proxy = createServer((req, res) => {
    const lost = req.method === 'PATCH' && !req.url?.includes('dryRun=');
    const forward = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        if (!lost) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        answer.resume();
        answer.on('end', () => {
          res.writeHead(502, { 'content-type': 'text/html' });
          res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
        });
      },
    );
    req.pipe(forward);
  });
  await new Promise<void>((r) => proxy?.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}

async function cluster(options: { proxied?: boolean } = {}) {
  fake = paymentsCluster();
  const server = await fake.start();
  const url = options.proxied ? await badGateway(server) : server;
  return {
    api: createKubeApi({ kubeConfig: fake.kubeConfig(url) }).objects,
    audit: new AuditLog(':memory:'),
  };
}

const mode = () =>
  (fake.find('PeerAuthentication', 'payments', 'default')?.spec as { mtls?: { mode: string } } | undefined)
    ?.mtls?.mode;

it('a 502 from a proxy after the API server carried out the patch is not recorded as failed', async () => {
  const { api, audit } = await cluster({ proxied: true });
  const error = await applyPlan(api, PERMISSIVE, audit, 'alice').catch((e: unknown) => e);
  expect(mode()).toBe('PERMISSIVE');
  expect(error).toBeInstanceOf(OutcomeUnknownError);
  expect((error as Error).message).toContain('HTTP 502');
  expect(audit.get(1)?.state).toBe('unknown');
});

it("the API server's own 500 InternalError on a write is unknown too; a 422 refusal stays failed", async () => {
  const { api, audit } = await cluster();
  fake.fault(POLICY, { method: 'PATCH', skip: 1, times: 1, status: 500, reason: 'InternalError' });
  await expect(applyPlan(api, PERMISSIVE, audit, 'alice')).rejects.toBeInstanceOf(OutcomeUnknownError);
  expect(audit.get(1)?.state).toBe('unknown');

  fake.fault(POLICY, { method: 'PATCH', skip: 1, times: 1, status: 422, reason: 'Invalid', message: 'bad' });
  const refused = await applyPlan(api, PERMISSIVE, audit, 'alice').catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(RemediationError);
  expect(refused).not.toBeInstanceOf(OutcomeUnknownError);
  expect(audit.get(2)?.state).toBe('failed');
});
