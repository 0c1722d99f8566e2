// Deletes, against a Kubernetes API on loopback: the rollback of a created rule deletes exactly that
// rule (uid and resourceVersion preconditions, a server-side dry run first, a diff that removes every
// line), refuses when the rule changed since, and is itself rolled back by creating the rule again as
// it was; an audit log of an older version (no action column) still opens and rolls back.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { planImpact } from '../../src/impact/plan-impact.js';
import {
  applyPlan,
  previewPlan,
  RemediationError,
  rollback,
  rollbackPlan,
} from '../../src/remediation/apply.js';
import { createNamespacePolicy } from '../../src/remediation/plans.js';
import { createKubeApi } from '../../src/snapshot/live/kube-api.js';
import { AuditLog } from '../../src/store/audit-store.js';
import type { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { app, namespace, peerAuthentication, snapshotOf } from '../helpers/mesh.js';
import { paymentsCluster } from '../helpers/payments-cluster.js';

let fake: FakeKubeApi;
afterEach(() => fake?.stop());

async function cluster() {
  fake = paymentsCluster();
  const server = await fake.start();
  return {
    api: createKubeApi({ kubeConfig: fake.kubeConfig(server) }).objects,
    audit: new AuditLog(':memory:'),
  };
}

const policy = () => fake.find('PeerAuthentication', 'legacy', 'default');

describe('plans that delete', () => {
  it('the rollback of a created rule is a dry-run delete bound to its uid and version, then deletes it', async () => {
    const { api, audit } = await cluster();
    const created = await applyPlan(api, createNamespacePolicy('legacy', 'PERMISSIVE'), audit, 'alice');
    const object = policy();
    expect(object?.metadata.uid).toBeTruthy();

    const plan = await rollbackPlan(api, audit, created.auditId);
    expect(plan).toMatchObject({
      action: 'delete',
      expectVersion: object?.metadata.resourceVersion,
      // kubectl delete has no precondition: the printed command compares the version first.
      kubectl: `[ "$(kubectl get peerauthentication default -n legacy -o 'jsonpath={.metadata.resourceVersion}')" = ${object?.metadata.resourceVersion} ] && kubectl delete peerauthentication default -n legacy --cascade=orphan`,
    });
    const preview = await previewPlan(api, plan);
    expect(preview.after).toBeUndefined();
    const diffLines = preview.diff.split('\n').filter((l) => /^[-+][^-+]/.test(l));
    expect(diffLines).toContain('-kind: PeerAuthentication');
    expect(diffLines).toContain('-    mode: PERMISSIVE');
    expect(diffLines.filter((l) => l.startsWith('+'))).toEqual([]);
    const deletes = () => fake.writes.filter((w) => w.method === 'DELETE');
    expect(deletes()).toEqual([
      expect.objectContaining({
        path: '/apis/security.istio.io/v1/namespaces/legacy/peerauthentications/default',
        dryRun: true,
        body: expect.objectContaining({
          preconditions: { uid: object?.metadata.uid, resourceVersion: object?.metadata.resourceVersion },
          // Only this object: anything it owns is orphaned, not collected out of the rollback's reach.
          propagationPolicy: 'Orphan',
        }),
      }),
    ]);
    expect(policy()).toBeDefined();

    const undone = await rollback(api, audit, created.auditId, 'bob');
    expect(policy()).toBeUndefined();
    expect(deletes().map((w) => w.dryRun)).toEqual([true, true, false]);
    expect(audit.get(undone.auditId)).toMatchObject({
      state: 'applied',
      action: 'delete',
      previous: expect.objectContaining({ spec: { mtls: { mode: 'PERMISSIVE' } } }),
    });
    expect(audit.get(created.auditId)?.state).toBe('rolled-back');
  });

  it('rolling back the delete creates the rule again as it was, without what the API server set', async () => {
    const { api, audit } = await cluster();
    const created = await applyPlan(api, createNamespacePolicy('legacy', 'PERMISSIVE'), audit, 'alice');
    fake.update('PeerAuthentication', 'legacy', 'default', (o) => {
      o.metadata.labels = { team: 'legacy' };
      o.metadata.managedFields = [{ manager: 'kubectl', operation: 'Update' }];
    });
    // The label edit came after the create: its rollback refuses to delete it with the edit.
    await expect(rollback(api, audit, created.auditId, 'bob')).rejects.toThrow(
      /PeerAuthentication legacy\/default changed after the change this plan undoes \(resourceVersion \d+ → \d+\); deleting it would also drop that later change/,
    );
    expect(fake.writes.filter((w) => w.method === 'DELETE')).toEqual([]);
    expect(policy()).toBeDefined();

    // A delete the bot made (a reverted alert, say) is rolled back by creating the object again.
    const labelled = policy();
    const deleted = await applyPlan(
      api,
      {
        id: 'revert:PeerAuthentication/legacy/default',
        title: 'delete it',
        risk: '',
        action: 'delete',
        target: {
          apiVersion: 'security.istio.io/v1',
          kind: 'PeerAuthentication',
          namespace: 'legacy',
          name: 'default',
        },
        expectVersion: labelled?.metadata.resourceVersion as string,
        kubectl: '',
      },
      audit,
      'alice',
    );
    expect(policy()).toBeUndefined();
    const plan = await rollbackPlan(api, audit, deleted.auditId);
    expect(plan.action).toBe('create');
    const restored = await rollback(api, audit, deleted.auditId, 'bob');
    const posted = fake.writes.filter((w) => w.method === 'POST' && !w.dryRun).at(-1)?.body as {
      metadata: Record<string, unknown>;
    };
    expect(posted.metadata).toEqual({ name: 'default', namespace: 'legacy', labels: { team: 'legacy' } });
    expect(policy()?.spec).toEqual({ mtls: { mode: 'PERMISSIVE' } });
    expect(policy()?.metadata.uid).not.toBe(labelled?.metadata.uid);
    expect(restored.diff.split('\n').filter((l) => /^-[^-]/.test(l))).toEqual([]);
    expect(audit.get(deleted.auditId)?.state).toBe('rolled-back');
    // Created again by now: a second rollback of the same delete is refused.
    await expect(rollbackPlan(api, audit, deleted.auditId)).rejects.toThrow(RemediationError);
  });

  it('an entry with no recorded outcome is rolled back only once what it did is found: a created rule is deleted (bound to the version read), a deleted one created again', async () => {
    const { api, audit } = await cluster();
    const target = {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      namespace: 'legacy',
      name: 'default',
    };
    const create = createNamespacePolicy('legacy', 'PERMISSIVE');
    // As a write with no answer (nor read-back) leaves it: no outcome, no version; the rule was created.
    const created = {
      auditId: audit.begin({
        planId: create.id,
        target,
        actor: 'alice',
        createdAt: new Date().toISOString(),
        patch: create.body,
        action: 'create',
      }),
    };
    fake.create(create.body as Parameters<FakeKubeApi['create']>[0]);
    audit.finish(created.auditId, 'unknown');
    const version = policy()?.metadata.resourceVersion;
    expect(await rollbackPlan(api, audit, created.auditId)).toMatchObject({
      action: 'delete',
      expectVersion: version,
    });
    fake.update('PeerAuthentication', 'legacy', 'default', (o) => {
      o.spec = { mtls: { mode: 'STRICT' } };
    });
    await expect(rollbackPlan(api, audit, created.auditId)).rejects.toThrow(
      'audit entry 1 has no recorded outcome (unknown) and PeerAuthentication legacy/default does not hold what it wrote: the change did not land (or the object changed since); nothing was rolled back',
    );

    // A delete with no recorded outcome, which removed the rule.
    const previous = policy() as unknown as Record<string, unknown>;
    const deleted = {
      auditId: audit.begin({
        planId: 'revert:x',
        target,
        actor: 'alice',
        createdAt: new Date().toISOString(),
        previous,
        patch: { preconditions: { uid: policy()?.metadata.uid }, propagationPolicy: 'Orphan' },
        action: 'delete',
      }),
    };
    fake.remove('PeerAuthentication', 'legacy', 'default');
    audit.finish(deleted.auditId, 'unknown');
    expect(await rollbackPlan(api, audit, deleted.auditId)).toMatchObject({ action: 'create' });
    await rollback(api, audit, deleted.auditId, 'bob');
    expect(policy()?.spec).toEqual({ mtls: { mode: 'STRICT' } });
    expect(audit.get(deleted.auditId)?.state).toBe('rolled-back');
  });

  it('a delete whose object is gone, or re-created under the same name, is refused', async () => {
    const { api, audit } = await cluster();
    const created = await applyPlan(api, createNamespacePolicy('legacy', 'PERMISSIVE'), audit, 'alice');
    fake.remove('PeerAuthentication', 'legacy', 'default');
    await expect(rollback(api, audit, created.auditId, 'bob')).rejects.toThrow(
      'PeerAuthentication legacy/default does not exist any more; run the check again',
    );
    fake.create({
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'default', namespace: 'legacy' },
      spec: { mtls: { mode: 'PERMISSIVE' } },
    });
    await expect(rollback(api, audit, created.auditId, 'bob')).rejects.toThrow(/changed after the change/);
    expect(fake.writes.filter((w) => w.method === 'DELETE')).toEqual([]);
  });

  it('a delete is bound: refused without a version, and the API server refuses one the object moved past between dry run and delete', async () => {
    const { api, audit } = await cluster();
    const created = await applyPlan(api, createNamespacePolicy('legacy', 'PERMISSIVE'), audit, 'alice');
    const unbound = { ...(await rollbackPlan(api, audit, created.auditId)), expectVersion: undefined };
    const from = fake.requests.length;
    await expect(previewPlan(api, unbound)).rejects.toThrow(
      'PeerAuthentication legacy/default: no resourceVersion to bind the delete to; nothing was deleted',
    );
    expect(fake.requests.slice(from)).toEqual([]);

    // The real DELETE is held until someone else has changed the rule.
    let release = () => {};
    fake.fault('/apis/security.istio.io/v1/namespaces/legacy/peerauthentications/default', {
      method: 'DELETE',
      skip: 1,
      times: 1,
      until: new Promise<void>((r) => {
        release = r;
      }),
    });
    const undoing = rollback(api, audit, created.auditId, 'bob');
    const held = () => fake.requests.filter((r) => r.method === 'DELETE').length === 2;
    while (!held()) await new Promise((r) => setTimeout(r, 5));
    fake.update('PeerAuthentication', 'legacy', 'default', (o) => {
      o.spec = { mtls: { mode: 'STRICT' } };
    });
    release();
    await expect(undoing).rejects.toThrow(
      /^cannot delete PeerAuthentication legacy\/default: it changed since it was read \(.*Precondition failed: ResourceVersion in precondition/,
    );
    expect(policy()?.spec).toEqual({ mtls: { mode: 'STRICT' } });
    expect(audit.get(created.auditId + 1)?.state).toBe('failed');
    expect(audit.get(created.auditId)?.state).toBe('applied');
  });

  it('a delete refused by RBAC says which verb is missing', async () => {
    const { api, audit } = await cluster();
    const created = await applyPlan(api, createNamespacePolicy('legacy', 'PERMISSIVE'), audit, 'alice');
    fake.fault('/apis/security.istio.io/v1/namespaces/legacy/peerauthentications/default', {
      method: 'DELETE',
      status: 403,
      reason: 'Forbidden',
      message: 'peerauthentications.security.istio.io "default" is forbidden',
    });
    await expect(rollback(api, audit, created.auditId, 'bob')).rejects.toThrow(
      /^cannot delete PeerAuthentication legacy\/default: forbidden \(.*\); the identity needs RBAC to delete this resource$/,
    );
  });

  it('an audit log written before the action column opens, keeps its entries and records actions', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mtls-doctor-audit-')), 'old.db');
    const old = new Database(file);
    old.exec(`CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, plan_id TEXT NOT NULL,
      target TEXT NOT NULL, actor TEXT NOT NULL, state TEXT NOT NULL, created_at TEXT NOT NULL,
      previous TEXT, patch TEXT, result_version TEXT, error TEXT)`);
    old
      .prepare(
        "INSERT INTO audit (plan_id, target, actor, state, created_at, previous, patch, result_version) VALUES ('create-permissive:x', ?, 'alice', 'applied', '2026-11-01T00:00:00Z', 'null', ?, '12')",
      )
      .run(
        JSON.stringify({
          apiVersion: 'security.istio.io/v1',
          kind: 'PeerAuthentication',
          namespace: 'legacy',
          name: 'default',
        }),
        JSON.stringify({ spec: { mtls: { mode: 'PERMISSIVE' } } }),
      );
    old.close();
    const audit = new AuditLog(file);
    expect(audit.get(1)).toMatchObject({
      planId: 'create-permissive:x',
      action: undefined,
      resultVersion: '12',
    });
    // An old entry that created the rule rolls back by deleting it, bound to the version it left.
    // An applied entry needs no read of the cluster to plan its rollback.
    const noApi = {} as Parameters<typeof rollbackPlan>[0];
    expect(await rollbackPlan(noApi, audit, 1)).toMatchObject({ action: 'delete', expectVersion: '12' });
    const id = audit.begin({
      planId: 'p',
      target: { apiVersion: 'v1', kind: 'Namespace', name: 'legacy' },
      actor: 'bob',
      createdAt: '2026-11-02T00:00:00Z',
      action: 'merge-patch',
    });
    expect(audit.get(id)?.action).toBe('merge-patch');
    audit.close();
  });

  it('the impact of deleting a STRICT rule is computed from the view without it', () => {
    const snapshot = snapshotOf(
      namespace('payments') +
        namespace('legacy', 'none') +
        app('payments', 'payments') +
        app('legacy', 'cron') +
        peerAuthentication('payments', 'lock', 'STRICT'),
    );
    const effect = planImpact(snapshot, {
      deleted: { kind: 'PeerAuthentication', namespace: 'payments', name: 'lock' },
    });
    expect(effect).toMatchObject({ computed: true, repairs: 1, breaks: 0 });
    expect(effect.lines[0]).toContain('legacy/cron → payments/payments:80');
    // The same rule written, not deleted, changes nothing.
    const same = {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'lock', namespace: 'payments' },
      spec: { mtls: { mode: 'STRICT' } },
    };
    expect(planImpact(snapshot, { object: same })).toMatchObject({ computed: true, repairs: 0, breaks: 0 });
  });

  it('a Sidecar, VirtualService or Service written or deleted acts at once: its impact is computed', () => {
    const sidecar = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Sidecar',
      metadata: { name: 'default', namespace: 'shop' },
      spec: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' }, egress: [{ hosts: ['./*'] }] },
    };
    const base = namespace('shop') + namespace('payments') + app('shop', 'web') + app('payments', 'payments');
    const hidden = snapshotOf(`${base}---\n${JSON.stringify(sidecar)}\n`);
    const deleted = planImpact(hidden, { deleted: { kind: 'Sidecar', namespace: 'shop', name: 'default' } });
    expect(deleted).toMatchObject({ computed: true, repairs: 1, breaks: 0 });
    expect(deleted.lines[0]).toContain('shop/web → payments/payments:80');
    const written = planImpact(snapshotOf(base), { object: sidecar });
    expect(written).toMatchObject({ computed: true, repairs: 0, breaks: 1 });
  });
});
