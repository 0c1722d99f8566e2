// What a failed write is recorded as. A 5xx does not prove the write did not happen (a proxy in front of
// the API server may answer 502 after the server carried it out): it is never `failed` on its face, a
// refusal (4xx) is. A write whose answer was lost is settled by reading the object back once: `applied`
// when it holds the change written by us since it was sent; otherwise `unknown` (found unchanged, it
// may still land).
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { applyPlan, OutcomeUnknownError, RemediationError, rollback } from '../../src/remediation/apply.js';
import { createNamespacePolicy, type RemediationPlan } from '../../src/remediation/plans.js';
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
 * A proxy in front of `upstream` that passes every request on and, for each real (not dry-run) write,
 * answers 502 once the API server has carried it out, as a gateway whose upstream answer was lost does;
 * `meanwhile` runs before that answer.
 */
async function badGateway(upstream: string, meanwhile = () => {}): Promise<string> {
  const target = new URL(upstream);
  proxy = createServer((req, res) => {
    const lost = req.method !== 'GET' && !req.url?.includes('dryRun=');
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
          meanwhile();
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

async function cluster(options: { proxied?: boolean; meanwhile?: () => void } = {}) {
  fake = paymentsCluster();
  const server = await fake.start();
  const url = options.proxied ? await badGateway(server, options.meanwhile) : server;
  return {
    api: createKubeApi({ kubeConfig: fake.kubeConfig(url) }).objects,
    audit: new AuditLog(':memory:'),
  };
}

const mode = () =>
  (fake.find('PeerAuthentication', 'payments', 'default')?.spec as { mtls?: { mode: string } } | undefined)
    ?.mtls?.mode;

it('a 502 from a proxy after the API server carried out the patch: read back, it is applied, not failed', async () => {
  const { api, audit } = await cluster({ proxied: true });
  const applied = await applyPlan(api, PERMISSIVE, audit, 'alice');
  expect(mode()).toBe('PERMISSIVE');
  const version = fake.find('PeerAuthentication', 'payments', 'default')?.metadata.resourceVersion;
  expect(applied.readBack).toBe(
    `the answer to the change was lost (cannot change PeerAuthentication payments/default: HTTP 502); read back, PeerAuthentication payments/default holds the change (resourceVersion ${version})`,
  );
  expect(applied.diff).toContain('+    mode: PERMISSIVE');
  expect(audit.get(1)).toMatchObject({ state: 'applied', resultVersion: version });
});

it("the API server's own 500 InternalError on a patch not carried out yet: read back unchanged, it stays unknown (etcd may still commit it); a 422 refusal is failed unread", async () => {
  const { api, audit } = await cluster();
  fake.fault(POLICY, { method: 'PATCH', skip: 1, times: 1, status: 500, reason: 'InternalError' });
  const error = await applyPlan(api, PERMISSIVE, audit, 'alice').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(OutcomeUnknownError);
  const said =
    'cannot change PeerAuthentication payments/default: HTTP 500 injected fault; read back, PeerAuthentication payments/default is unchanged (resourceVersion 7): the change was not applied yet, but the request may still be carried out';
  expect((error as Error).message).toContain(said);
  expect(audit.get(1)).toMatchObject({ state: 'unknown', error: said });

  const reads = fake.requests.filter((r) => r.method === 'GET').length;
  fake.fault(POLICY, { method: 'PATCH', skip: 1, times: 1, status: 422, reason: 'Invalid', message: 'bad' });
  const refused = await applyPlan(api, PERMISSIVE, audit, 'alice').catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(RemediationError);
  expect(refused).not.toBeInstanceOf(OutcomeUnknownError);
  expect(audit.get(2)?.state).toBe('failed');
  // The preview's read only: a refusal is not read back.
  expect(fake.requests.filter((r) => r.method === 'GET').length).toBe(reads + 1);
});

it('a lost answer whose read-back fails too stays unknown, with what was seen', async () => {
  const { api, audit } = await cluster({ proxied: true });
  fake.fault(POLICY, { method: 'GET', times: 1, status: 503, when: () => mode() === 'PERMISSIVE' });
  const unread = await applyPlan(api, PERMISSIVE, audit, 'alice').catch((e: unknown) => e);
  expect(unread).toBeInstanceOf(OutcomeUnknownError);
  expect((unread as Error).message).toContain(
    'HTTP 502; read back, reading PeerAuthentication payments/default back failed too (cannot read PeerAuthentication payments/default: HTTP 503 injected fault); the change may have been applied',
  );
  expect(audit.get(1)?.state).toBe('unknown');
});

it('a lost answer after which someone else changed the object stays unknown', async () => {
  const { api, audit } = await cluster({
    proxied: true,
    meanwhile: () =>
      fake.update('PeerAuthentication', 'payments', 'default', (o) => {
        o.spec = { mtls: { mode: 'DISABLE' } };
      }),
  });
  const error = await applyPlan(api, PERMISSIVE, audit, 'alice').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(OutcomeUnknownError);
  expect((error as Error).message).toMatch(
    /read back, PeerAuthentication payments\/default changed \(resourceVersion 7 → \d+\) but does not hold what the change writes; the change may have been applied/,
  );
  expect(audit.get(1)).toMatchObject({ state: 'unknown', error: expect.stringContaining('does not hold') });
});

it('a create and its rollback (a delete), each answered 502 after it was carried out: both read back as applied', async () => {
  const { api, audit } = await cluster({ proxied: true });
  const created = await applyPlan(api, createNamespacePolicy('legacy', 'PERMISSIVE'), audit, 'alice');
  const object = fake.find('PeerAuthentication', 'legacy', 'default');
  expect(created.readBack).toContain(
    `read back, PeerAuthentication legacy/default exists as written (resourceVersion ${object?.metadata.resourceVersion})`,
  );
  expect(audit.get(1)).toMatchObject({ state: 'applied', resultVersion: object?.metadata.resourceVersion });
  const deleted = await rollback(api, audit, 1, 'bob');
  expect(deleted.readBack).toContain('read back, PeerAuthentication legacy/default is gone: it was deleted');
  expect(audit.get(2)?.state).toBe('applied');
  expect(audit.get(1)?.state).toBe('rolled-back');
});

it('a create or a delete answered 503, not carried out yet: read back, unknown (it may still land)', async () => {
  const { api, audit } = await cluster();
  const collection = '/apis/security.istio.io/v1/namespaces/legacy/peerauthentications';
  fake.fault(collection, { method: 'POST', skip: 1, times: 1, status: 503, reason: 'ServiceUnavailable' });
  await expect(applyPlan(api, createNamespacePolicy('legacy', 'PERMISSIVE'), audit, 'alice')).rejects.toThrow(
    'read back, PeerAuthentication legacy/default does not exist: it was not created yet, but the request may still be carried out',
  );
  expect(audit.get(1)?.state).toBe('unknown');
  await applyPlan(api, createNamespacePolicy('legacy', 'PERMISSIVE'), audit, 'alice');
  const version = fake.find('PeerAuthentication', 'legacy', 'default')?.metadata.resourceVersion;
  fake.fault(`${collection}/default`, { method: 'DELETE', skip: 1, times: 1, status: 503 });
  const error = await rollback(api, audit, 2, 'bob').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(OutcomeUnknownError);
  expect((error as Error).message).toContain(
    `read back, PeerAuthentication legacy/default is unchanged (resourceVersion ${version}): it was not deleted yet, but the request may still be carried out`,
  );
  expect(audit.get(3)?.state).toBe('unknown');
  expect(audit.get(2)?.state).toBe('applied');
});

it("a 500 not carried out while kubectl writes the same value: not ours, so unknown (its rollback would undo kubectl's change)", async () => {
  const { api, audit } = await cluster();
  await applyPlan(api, { ...PERMISSIVE, body: { spec: { mtls: { mode: 'DISABLE' } } } }, audit, 'alice');
  // That earlier fix of ours was a while ago; kubectl then writes PERMISSIVE while our patch fails.
  const aged = (fields: unknown) =>
    (fields as { manager: string; time: string }[]).map((f) => ({
      ...f,
      time: new Date(Date.parse(f.time) - 60_000).toISOString(),
    }));
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.metadata.managedFields = aged(o.metadata.managedFields);
  });
  let patches = 0;
  fake.fault(POLICY, {
    method: 'PATCH',
    times: 1,
    status: 500,
    reason: 'InternalError',
    // The real write, after its dry run: refused, while kubectl writes meanwhile.
    when: () => {
      if (++patches < 2) return false;
      fake.update('PeerAuthentication', 'payments', 'default', (o) => {
        o.spec = { mtls: { mode: 'PERMISSIVE' } };
        o.metadata.managedFields = [
          ...(o.metadata.managedFields as unknown[]),
          { manager: 'kubectl-edit', operation: 'Update', time: new Date().toISOString() },
        ];
      });
      return true;
    },
  });
  const error = await applyPlan(api, PERMISSIVE, audit, 'bob').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(OutcomeUnknownError);
  expect(audit.get(2)?.state).toBe('unknown');
  expect(mode()).toBe('PERMISSIVE');
});
