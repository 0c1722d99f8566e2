// A merge patch removes a field with null. The body sent must keep those nulls: built by applying the
// change onto the object's identity, they were dropped, so a rollback of an added port entry, a Revert
// of an added annotation or a switch to ISTIO_MUTUAL that clears old SANs was accepted and did nothing.
import { afterEach, expect, it } from 'vitest';
import { applyPlan, previewPlan } from '../../src/remediation/apply.js';
import type { RemediationPlan } from '../../src/remediation/plans.js';
import { createKubeApi } from '../../src/snapshot/live/kube-api.js';
import { AuditLog } from '../../src/store/audit-store.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { paymentsCluster } from '../helpers/payments-cluster.js';

let fake: FakeKubeApi;
afterEach(() => fake?.stop());

it('a patch that removes a port entry and an annotation removes them, in the dry run and for real', async () => {
  fake = paymentsCluster();
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    Object.assign(o, {
      spec: { mtls: { mode: 'STRICT' }, portLevelMtls: { '8080': { mode: 'PERMISSIVE' } } },
    });
    o.metadata.annotations = { 'example.com/owner': 'payments' };
  });
  const version = fake.find('PeerAuthentication', 'payments', 'default')?.metadata.resourceVersion;
  const api = createKubeApi({ kubeConfig: fake.kubeConfig(await fake.start()) }).objects;
  const plan: RemediationPlan = {
    id: 'test:remove',
    title: 'remove the port entry and the annotation',
    risk: 'r',
    action: 'merge-patch',
    target: {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      namespace: 'payments',
      name: 'default',
    },
    body: { metadata: { annotations: { 'example.com/owner': null } }, spec: { portLevelMtls: null } },
    kubectl: 'k',
  };
  const preview = await previewPlan(api, plan);
  expect(preview.diff).toContain('-  portLevelMtls:');
  expect(preview.diff).toContain('-    example.com/owner: payments');
  const sent = fake.writes.at(-1)?.body as {
    spec: Record<string, unknown>;
    metadata: Record<string, unknown>;
  };
  expect(sent.spec).toEqual({ portLevelMtls: null });
  expect(sent.metadata).toMatchObject({
    annotations: { 'example.com/owner': null },
    resourceVersion: version,
  });

  await applyPlan(api, plan, new AuditLog(':memory:'), 'alice');
  const after = fake.find('PeerAuthentication', 'payments', 'default');
  expect(after?.spec).toEqual({ mtls: { mode: 'STRICT' } });
  expect(after?.metadata.annotations ?? {}).toEqual({});
});
