// Carries out a remediation plan on a cluster: read the object, show the change as a diff, run it as a
// server-side dry run, then (only when asked) apply it with the object's resourceVersion as a
// precondition, with an audit entry written before the cluster is touched. Rollback restores the saved
// previous content, again with a precondition. Plans never delete objects.
import {
  ApiException,
  type KubernetesObject,
  type KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import type { AuditStore } from '../store/audit-store.js';
import { applyMergePatch } from './merge-patch.js';
import type { RemediationPlan } from './plans.js';

export class RemediationError extends Error {}

type Obj = KubernetesObject & Record<string, unknown>;

export interface Preview {
  readonly before?: Obj;
  readonly after: Obj;
  readonly diff: string;
}

const FIELD_MANAGER = 'mtls-doctor';

function identity(plan: RemediationPlan): Obj {
  const { apiVersion, kind, namespace, name } = plan.target;
  return { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } };
}

/** The body sent for a plan: a merge patch (with the resourceVersion precondition) or a new object. */
function requestBody(plan: RemediationPlan, current: Obj | undefined, now: Date): Obj {
  if (plan.action === 'create') return plan.body as Obj;
  const precondition = { metadata: { resourceVersion: current?.metadata?.resourceVersion } };
  const change =
    plan.action === 'rollout-restart'
      ? {
          spec: {
            template: {
              metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': now.toISOString() } },
            },
          },
        }
      : (plan.body ?? {});
  return applyMergePatch(applyMergePatch(identity(plan), precondition), change) as Obj;
}

export async function previewPlan(
  api: KubernetesObjectApi,
  plan: RemediationPlan,
  now = new Date(),
): Promise<Preview> {
  const restartable = ['Deployment', 'StatefulSet', 'DaemonSet'].includes(plan.target.kind);
  if (plan.manual || (plan.action === 'rollout-restart' && !restartable)) {
    throw new RemediationError(`plan ${plan.id} is carried out by hand; run:\n${plan.kubectl}`);
  }
  const current = await readObject(api, identity(plan));
  if (plan.action === 'create' && current)
    throw new RemediationError(`${describe(plan)} already exists; this plan only creates`);
  if (plan.action !== 'create' && !current)
    throw new RemediationError(`${describe(plan)} does not exist any more; run the check again`);
  const body = requestBody(plan, current, now);
  const dryRun = await call(plan, () =>
    plan.action === 'create'
      ? api.create(body, undefined, 'All', FIELD_MANAGER)
      : api.patch(body, undefined, 'All', FIELD_MANAGER, undefined, PatchStrategy.MergePatch),
  );
  return { before: current, after: dryRun as Obj, diff: unifiedDiff(plan, current, dryRun as Obj) };
}

export interface Applied extends Preview {
  readonly auditId: number;
}

export async function applyPlan(
  api: KubernetesObjectApi,
  plan: RemediationPlan,
  audit: AuditStore,
  actor: string,
  now = new Date(),
  options: { readonly expectResourceVersion?: string } = {},
): Promise<Applied> {
  const preview = await previewPlan(api, plan, now);
  // A request approved later must still see the object its diff was shown for.
  const found = preview.before?.metadata?.resourceVersion;
  if ('expectResourceVersion' in options && found !== options.expectResourceVersion) {
    throw new RemediationError(
      `${describe(plan)} changed since the request (resourceVersion ${options.expectResourceVersion} → ${found}); the request is stale, request it again`,
    );
  }
  const auditId = audit.begin({
    planId: plan.id,
    target: plan.target,
    actor,
    createdAt: now.toISOString(),
    previous: preview.before,
    patch: plan.body,
  });
  try {
    const body = requestBody(plan, preview.before, now);
    const applied = (await call(plan, () =>
      plan.action === 'create'
        ? api.create(body, undefined, undefined, FIELD_MANAGER)
        : api.patch(body, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch),
    )) as Obj;
    audit.finish(auditId, 'applied', { resultVersion: applied.metadata?.resourceVersion });
    return { ...preview, after: applied, auditId };
  } catch (error) {
    audit.finish(auditId, 'failed', { error: (error as Error).message });
    throw error;
  }
}

/** Restores what an applied plan changed, if nobody changed the object since. */
export async function rollback(
  api: KubernetesObjectApi,
  audit: AuditStore,
  auditId: number,
  actor: string,
  now = new Date(),
): Promise<Applied> {
  const entry = audit.get(auditId);
  if (!entry) throw new RemediationError(`no audit entry ${auditId}`);
  if (entry.state !== 'applied')
    throw new RemediationError(
      `audit entry ${auditId} is ${entry.state}; only an applied change can be rolled back`,
    );
  if (!entry.previous)
    throw new RemediationError(
      `audit entry ${auditId} created ${entry.target.kind} ${entry.target.name}; plans never delete, remove it with kubectl if needed`,
    );
  const target: Obj = {
    apiVersion: entry.target.apiVersion,
    kind: entry.target.kind,
    metadata: {
      name: entry.target.name,
      ...(entry.target.namespace ? { namespace: entry.target.namespace } : {}),
    },
  };
  const plan: RemediationPlan = {
    id: `rollback:${auditId}`,
    title: `Roll back audit entry ${auditId}`,
    risk: 'Restores the previous content.',
    action: 'merge-patch',
    target: { ...entry.target },
    kubectl: '',
  };
  const current = await readObject(api, target);
  if (!current)
    throw new RemediationError(`${entry.target.kind} ${entry.target.name} does not exist any more`);
  if (current.metadata?.resourceVersion !== entry.resultVersion) {
    throw new RemediationError(
      `${entry.target.kind} ${entry.target.name} changed after the fix (resourceVersion ${entry.resultVersion} → ${current.metadata?.resourceVersion}); a rollback would overwrite that change`,
    );
  }
  const restore = restorePatch(entry.previous, current, entry.patch ?? {});
  const body = applyMergePatch(
    applyMergePatch(target, { metadata: { resourceVersion: current.metadata?.resourceVersion } }),
    restore,
  ) as Obj;
  const rollbackId = audit.begin({
    planId: plan.id,
    target: entry.target,
    actor,
    createdAt: now.toISOString(),
    previous: current,
    patch: restore,
  });
  try {
    await call(plan, () =>
      api.patch(body, undefined, 'All', FIELD_MANAGER, undefined, PatchStrategy.MergePatch),
    );
    const restored = (await call(plan, () =>
      api.patch(body, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch),
    )) as Obj;
    audit.finish(rollbackId, 'applied', { resultVersion: restored.metadata?.resourceVersion });
    audit.finish(auditId, 'rolled-back', { resultVersion: entry.resultVersion });
    return {
      before: current,
      after: restored,
      diff: unifiedDiff(plan, current, restored),
      auditId: rollbackId,
    };
  } catch (error) {
    audit.finish(rollbackId, 'failed', { error: (error as Error).message });
    throw error;
  }
}

// For each part the fix touched, a merge patch that makes it equal to what it was: previous values
// back, keys the fix added set to null.
function restorePatch(
  previous: Record<string, unknown>,
  current: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(patch)) out[key] = restoreValue(previous[key], current[key], patch[key]);
  return out;
}

function restoreValue(previous: unknown, current: unknown, patched: unknown): unknown {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(patched) || !isObject(current)) return previous === undefined ? null : previous;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(patched)) {
    out[key] = restoreValue(isObject(previous) ? previous[key] : undefined, current[key], patched[key]);
  }
  return out;
}

async function readObject(api: KubernetesObjectApi, spec: Obj): Promise<Obj | undefined> {
  try {
    return (await api.read(spec as never)) as Obj;
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return undefined;
    throw explain(error, `read ${spec.kind} ${spec.metadata?.namespace ?? ''}/${spec.metadata?.name}`);
  }
}

async function call<T>(plan: RemediationPlan, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw explain(error, `change ${describe(plan)}`);
  }
}

function explain(error: unknown, what: string): Error {
  if (!(error instanceof ApiException)) return error as Error;
  const body = typeof error.body === 'string' ? safeParse(error.body) : error.body;
  const message = (body as { message?: string } | undefined)?.message ?? '';
  if (error.code === 409)
    return new RemediationError(
      `cannot ${what}: it changed since it was read (${message || 'conflict'}); run the check again`,
    );
  if (error.code === 403)
    return new RemediationError(
      `cannot ${what}: forbidden (${message}); the identity needs RBAC to patch this resource`,
    );
  if (error.code === 422 || error.code === 400)
    return new RemediationError(`cannot ${what}: the API server rejected the change (${message})`);
  return new RemediationError(`cannot ${what}: HTTP ${error.code} ${message}`);
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describe(plan: RemediationPlan): string {
  return `${plan.target.kind} ${plan.target.namespace ? `${plan.target.namespace}/` : ''}${plan.target.name}`;
}

// Server-managed fields say nothing about the change; leave them out of the diff.
function comparable(obj: Obj | undefined): string {
  if (!obj) return '';
  const { status: _status, ...rest } = obj as Record<string, unknown>;
  const metadata = { ...((obj.metadata ?? {}) as Record<string, unknown>) };
  for (const key of ['managedFields', 'resourceVersion', 'uid', 'generation', 'creationTimestamp'])
    delete metadata[key];
  return stringify({ ...rest, metadata });
}

function unifiedDiff(plan: RemediationPlan, before: Obj | undefined, after: Obj): string {
  const name = describe(plan);
  return createTwoFilesPatch(
    `${name} (now)`,
    `${name} (after)`,
    comparable(before),
    comparable(after),
    undefined,
    undefined,
    { context: 3 },
  );
}
