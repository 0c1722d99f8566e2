// Carries out a remediation plan on a cluster: read the object, compute the change from what was read
// (never from the check's snapshot), show it as a diff, run it as a server-side dry run, then (only
// when asked) apply it with the object's resourceVersion as a precondition, with an audit entry written
// before the cluster is touched. Rollback is a plan too (restore the saved previous content), previewed
// and dry-run like any other, again with a precondition. A delete (the revert of an added object, the
// rollback of a created one) is bound to the uid and resourceVersion read, and is rolled back by
// creating the object again.
import {
  ApiException,
  type KubernetesObject,
  type KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { createTwoFilesPatch } from 'diff';
import type { Written } from '../impact/apply-object.js';
import type { AuditStore } from '../store/audit-store.js';
import { toKubeYaml } from './kube-yaml.js';
import { mergePatchFor, StaleEditError } from './live-edit.js';
import { applyMergePatch } from './merge-patch.js';
import { applyCommand, deleteCommand, type RemediationPlan } from './plans.js';

export class RemediationError extends Error {}

type Obj = KubernetesObject & Record<string, unknown>;

export interface Preview {
  readonly before?: Obj;
  /** The object as written; undefined after a delete. */
  readonly after?: Obj;
  readonly diff: string;
  /**
   * What is sent: the merge patch computed from `before`, the whole object for a create, the
   * delete options (uid and resourceVersion preconditions) for a delete.
   */
  readonly change: Record<string, unknown>;
}

/** What a plan writes, for its impact on calls: the object written, or the object deleted. */
export function writtenBy(plan: RemediationPlan, preview: Preview): Written {
  return preview.after ? { object: preview.after } : { deleted: plan.target };
}

const FIELD_MANAGER = 'mtls-doctor';

function identity(plan: RemediationPlan): Obj {
  const { apiVersion, kind, namespace, name } = plan.target;
  return { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } };
}

/** The change a plan makes to `current`, the object as read now. */
function changeFor(plan: RemediationPlan, current: Obj | undefined, now: Date): Record<string, unknown> {
  if (plan.restore) return restorePatch(plan.restore.previous, current ?? {}, plan.restore.patch);
  if (plan.action === 'create') return plan.body ?? {};
  if (plan.action === 'delete') {
    // Exactly the object read: not one re-created under the same name, not a later version of it;
    // and that object only: anything that names it as its owner is orphaned, not garbage-collected
    // out of reach of the audit log and the rollback.
    const { uid, resourceVersion } = current?.metadata ?? {};
    return { preconditions: { uid, resourceVersion }, propagationPolicy: 'Orphan' };
  }
  if (plan.action === 'rollout-restart') {
    return {
      spec: {
        template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': now.toISOString() } } },
      },
    };
  }
  if (plan.edit) {
    try {
      return mergePatchFor(plan.edit, current ?? {});
    } catch (error) {
      if (!(error instanceof StaleEditError)) throw error;
      throw new RemediationError(
        `${describe(plan)} changed since the check (${error.message}); run the check again`,
      );
    }
  }
  return plan.body ?? {};
}

/** The body sent: the change bound to the object read (resourceVersion precondition), or a new object. */
function requestBody(plan: RemediationPlan, current: Obj | undefined, change: Record<string, unknown>): Obj {
  if (plan.action === 'create') return change as Obj;
  const precondition = { metadata: { resourceVersion: current?.metadata?.resourceVersion } };
  return applyMergePatch(applyMergePatch(identity(plan), precondition), change) as Obj;
}

/** Sends the change; resolves to the object written, or undefined for a delete. */
async function send(
  api: KubernetesObjectApi,
  plan: RemediationPlan,
  body: Obj,
  change: Record<string, unknown>,
  dryRun: boolean,
): Promise<Obj | undefined> {
  const mode = dryRun ? 'All' : undefined;
  if (plan.action === 'delete') {
    await call(plan, () =>
      api.delete(identity(plan), undefined, mode, undefined, undefined, undefined, change),
    );
    return undefined;
  }
  return (await call(plan, () =>
    plan.action === 'create'
      ? api.create(body, undefined, mode, FIELD_MANAGER)
      : api.patch(body, undefined, mode, FIELD_MANAGER, undefined, PatchStrategy.MergePatch),
  )) as Obj;
}

/**
 * Reads the target, computes the change from it and runs it as a server-side dry run. Rollback plans
 * (from `rollbackPlan`) are previewed the same way.
 */
export async function previewPlan(
  api: KubernetesObjectApi,
  plan: RemediationPlan,
  now = new Date(),
): Promise<Preview> {
  const restartable = ['Deployment', 'StatefulSet', 'DaemonSet'].includes(plan.target.kind);
  if (plan.manual || (plan.action === 'rollout-restart' && !restartable)) {
    throw new RemediationError(`plan ${plan.id} is carried out by hand; run:\n${plan.kubectl}`);
  }
  // A delete is bound to the version the change it undoes left; without one it is refused, never guessed.
  if (plan.action === 'delete' && plan.expectVersion === undefined)
    throw new RemediationError(
      `${describe(plan)}: no resourceVersion to bind the delete to; nothing was deleted`,
    );
  const current = await readObject(api, identity(plan));
  if (plan.action === 'create' && current)
    throw new RemediationError(`${describe(plan)} already exists; this plan only creates`);
  if (plan.action !== 'create' && !current)
    throw new RemediationError(`${describe(plan)} does not exist any more; run the check again`);
  if (plan.restore && current?.metadata?.resourceVersion !== plan.restore.resultVersion) {
    throw new RemediationError(
      `${describe(plan)} changed after the fix (resourceVersion ${plan.restore.resultVersion} → ${current?.metadata?.resourceVersion}); a rollback would overwrite that change`,
    );
  }
  if (plan.expectVersion !== undefined && current?.metadata?.resourceVersion !== plan.expectVersion) {
    throw new RemediationError(
      `${describe(plan)} changed after the change this plan undoes (resourceVersion ${plan.expectVersion} → ${current?.metadata?.resourceVersion}); ${plan.action === 'delete' ? 'deleting it' : 'undoing it'} would also drop that later change`,
    );
  }
  const change = changeFor(plan, current, now);
  const dryRun = await send(api, plan, requestBody(plan, current, change), change, true);
  return { before: current, after: dryRun, diff: unifiedDiff(plan, current, dryRun), change };
}

export interface Applied extends Preview {
  readonly auditId: number;
}

export interface ApplyOptions {
  /** The resourceVersion the approved diff was shown for: refuse if the object changed since. */
  readonly expectResourceVersion?: string;
}

export async function applyPlan(
  api: KubernetesObjectApi,
  plan: RemediationPlan,
  audit: AuditStore,
  actor: string,
  now = new Date(),
  options: ApplyOptions = {},
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
    patch: preview.change,
    action: plan.action,
  });
  try {
    const body = requestBody(plan, preview.before, preview.change);
    const applied = await send(api, plan, body, preview.change, false);
    audit.finish(auditId, 'applied', { resultVersion: applied?.metadata?.resourceVersion });
    const undone = plan.restore ?? plan.undoes;
    if (undone) audit.finish(undone.auditId, 'rolled-back', { resultVersion: undone.resultVersion });
    return { ...preview, after: applied, diff: unifiedDiff(plan, preview.before, applied), auditId };
  } catch (error) {
    audit.finish(auditId, 'failed', { error: (error as Error).message });
    throw error;
  }
}

/**
 * The plan that restores what audit entry `auditId` changed: previewed (dry run and diff) with
 * `previewPlan` and carried out with `applyPlan` or `rollback`, like any other plan.
 */
export function rollbackPlan(audit: AuditStore, auditId: number): RemediationPlan {
  const entry = audit.get(auditId);
  if (!entry) throw new RemediationError(`no audit entry ${auditId}`);
  if (entry.state !== 'applied')
    throw new RemediationError(
      `audit entry ${auditId} is ${entry.state}; only an applied change can be rolled back`,
    );
  const where = `${entry.target.kind} ${entry.target.namespace ? `${entry.target.namespace}/` : ''}${entry.target.name}`;
  const undoes = { auditId, resultVersion: entry.resultVersion };
  if (entry.action === 'delete' && entry.previous) {
    const object = recreatable(entry.previous);
    return {
      id: `rollback:${auditId}`,
      title: `Roll back change ${auditId} (create ${where} again)`,
      risk: 'Creates the deleted object again, as it was; refused if an object of that name exists now.',
      action: 'create',
      target: { ...entry.target },
      body: object,
      undoes,
      kubectl: applyCommand(object, 'create'),
    };
  }
  if (!entry.previous) {
    // The change created the object: its rollback deletes it, only as the change left it.
    return {
      id: `rollback:${auditId}`,
      title: `Roll back change ${auditId} (delete ${where})`,
      risk: 'Deletes the object the change created; refused if it changed since.',
      action: 'delete',
      target: { ...entry.target },
      expectVersion: entry.resultVersion,
      undoes,
      kubectl: deleteCommand(entry.target, entry.resultVersion),
    };
  }
  return {
    id: `rollback:${auditId}`,
    title: `Roll back change ${auditId} (${where})`,
    risk: 'Restores the content the object had before the fix; refused if the object changed since.',
    action: 'merge-patch',
    target: { ...entry.target },
    restore: {
      auditId,
      previous: entry.previous,
      patch: entry.patch ?? {},
      resultVersion: entry.resultVersion,
    },
    kubectl: `# restore of audit entry ${auditId}: the previous content is kept in the audit log`,
  };
}

/** Restores what an applied plan changed, if nobody changed the object since. Reads only that object. */
export function rollback(
  api: KubernetesObjectApi,
  audit: AuditStore,
  auditId: number,
  actor: string,
  now = new Date(),
  options: ApplyOptions = {},
): Promise<Applied> {
  return applyPlan(api, rollbackPlan(audit, auditId), audit, actor, now, options);
}

// The object as it can be created again: what the API server sets (uid, resourceVersion, managedFields,
// status, ...) left out, everything the object said kept.
function recreatable(previous: Record<string, unknown>): Obj {
  const { status: _status, ...rest } = previous;
  const metadata = { ...((previous.metadata ?? {}) as Record<string, unknown>) };
  for (const key of SERVER_SET_METADATA) delete metadata[key];
  return { ...rest, metadata } as Obj;
}

const SERVER_SET_METADATA = [
  'managedFields',
  'resourceVersion',
  'uid',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'selfLink',
];

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
    throw explain(error, `read ${spec.kind} ${spec.metadata?.namespace ?? ''}/${spec.metadata?.name}`, 'get');
  }
}

async function call<T>(plan: RemediationPlan, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    const verb = plan.action === 'create' || plan.action === 'delete' ? plan.action : 'patch';
    throw explain(error, `${plan.action === 'delete' ? 'delete' : 'change'} ${describe(plan)}`, verb);
  }
}

function explain(error: unknown, what: string, verb: string): Error {
  if (error instanceof RemediationError) return error;
  if (!(error instanceof ApiException)) {
    // Network failures (refused, reset, DNS) and the request timeout: one line, not a stack trace.
    const e = error as Error & { code?: string; type?: string; cause?: { code?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.type === 'aborted')
      return new RemediationError(
        `cannot ${what}: the API server did not answer in time (request timeout; raise it if the server is just slow)`,
      );
    const code = e.code ?? e.cause?.code;
    if (e.name === 'FetchError' || e.type === 'system' || code)
      return new RemediationError(`cannot ${what}: ${code ?? e.message}`);
    return error as Error;
  }
  const body = typeof error.body === 'string' ? safeParse(error.body) : error.body;
  const message = (body as { message?: string } | undefined)?.message ?? '';
  if (error.code === 409)
    return new RemediationError(
      `cannot ${what}: it changed since it was read (${message || 'conflict'}); run the check again`,
    );
  if (error.code === 403)
    return new RemediationError(
      `cannot ${what}: forbidden (${message}); the identity needs RBAC to ${verb} this resource`,
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
  return obj ? toKubeYaml(recreatable(obj)) : '';
}

function unifiedDiff(plan: RemediationPlan, before: Obj | undefined, after: Obj | undefined): string {
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
