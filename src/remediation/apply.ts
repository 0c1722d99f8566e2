// Carries out a remediation plan on a cluster: read the object, compute the change from what was read
// (never from the check's snapshot), show it as a diff, run it as a server-side dry run, then (only
// when asked) apply it with the object's resourceVersion as a precondition, with an audit entry written
// before the cluster is touched. Rollback is a plan too (restore the saved previous content), previewed
// and dry-run like any other, again with a precondition. A delete (the revert of an added object, the
// rollback of a created one) is bound to the uid and resourceVersion read, and is rolled back by
// creating the object again. A write with no answer saying whether it was carried out (a timeout, a
// reset, a 5xx) is settled by reading the object back once; only what that cannot tell is recorded as
// `unknown`, never `failed`. An audit log that cannot take the outcome of a change that was made is
// reported, never turned into a failure of the change.
import { type KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { createTwoFilesPatch } from 'diff';
import type { Written } from '../impact/apply-object.js';
import { isPlainObject } from '../snapshot/raw-object.js';
import { formatRef } from '../snapshot/types.js';
import type { AuditEntry, AuditState, AuditStore } from '../store/audit-store.js';
import { toKubeYaml } from './kube-yaml.js';
import { mergePatchFor, StaleEditError } from './live-edit.js';
import { applyMergePatch, combinePatches } from './merge-patch.js';
import { call, type Obj, objectIdentity, RemediationError, readObject } from './object-calls.js';
import { recreatable } from './object-content.js';
import { getCommand, type RemediationPlan } from './plans.js';
import { FIELD_MANAGER, type ReadBack, readBack } from './read-back.js';
import { rollbackPlan } from './rollback-plan.js';

export { RemediationError } from './object-calls.js';
export { rollbackPlan } from './rollback-plan.js';

/**
 * A write that was sent but got no answer saying whether it was carried out (a timeout, a connection
 * reset, an abort, a 5xx), and whose read-back could not tell either: it may have been applied. Its
 * audit entry says `unknown`, and its rollback first reads the object to see whether the change landed.
 */
export class OutcomeUnknownError extends RemediationError {
  readonly auditId: number;

  constructor(message: string, auditId: number) {
    super(message, true);
    this.auditId = auditId;
  }
}

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

function identity(plan: RemediationPlan): Obj {
  return objectIdentity(plan.target);
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
  return combinePatches(applyMergePatch(identity(plan), precondition), change) as Obj;
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
  const what = `${plan.action === 'delete' ? 'delete' : 'change'} ${describe(plan)}`;
  const verb = plan.action === 'create' || plan.action === 'delete' ? plan.action : 'patch';
  if (plan.action === 'delete') {
    await call(what, verb, () =>
      api.delete(identity(plan), undefined, mode, undefined, undefined, undefined, change),
    );
    return undefined;
  }
  return (await call(what, verb, () =>
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
  /**
   * Set when the change was made but the audit log could not record it (a locked database): the
   * change stays made, and this says which entry is out of date and why.
   */
  readonly auditProblem?: string;
  /**
   * Set when the write's answer was lost (a timeout, a reset, a 5xx) and reading the object back
   * showed the change made: the lost answer and what was read.
   */
  readonly readBack?: string;
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
  const body = requestBody(plan, preview.before, preview.change);
  let auditId: number;
  try {
    auditId = audit.begin({
      planId: plan.id,
      target: plan.target,
      actor,
      createdAt: now.toISOString(),
      previous: preview.before,
      patch: preview.change,
      action: plan.action,
    });
  } catch (error) {
    // No change is sent without its audit entry.
    throw new RemediationError(
      `cannot write the audit entry (${(error as Error).message}); nothing was changed`,
    );
  }
  let applied: Obj | undefined;
  let lostAnswer: string | undefined;
  const sentAt = new Date();
  try {
    applied = await send(api, plan, body, preview.change, false);
  } catch (error) {
    const unanswered = !(error instanceof RemediationError) || error.unanswered;
    const settled = unanswered ? await readBack(api, sentWrite(plan, preview), sentAt) : undefined;
    if (settled?.outcome !== 'applied') throw recordFailure(audit, auditId, plan, error, settled);
    applied = settled.object;
    lostAnswer = `the answer to the change was lost (${(error as Error).message}); read back, ${settled.seen}`;
  }
  // The change is made: an audit log that cannot take that now is reported, never turned into a
  // failure of the change (nor its entry into `failed`).
  const undone = plan.restore ?? plan.undoes;
  const notFinished = auditWrite(
    audit,
    auditId,
    ['applied', { resultVersion: applied?.metadata?.resourceVersion }],
    (problem) => stillApplying(auditId, problem),
  );
  const notMarked =
    undone &&
    auditWrite(
      audit,
      undone.auditId,
      ['rolled-back', { resultVersion: undone.resultVersion }],
      (problem) => `audit entry ${undone.auditId} could not be marked rolled back (${problem})`,
    );
  const auditProblem = [notFinished, notMarked].filter(Boolean).join('; ');
  return {
    ...preview,
    after: applied,
    diff: unifiedDiff(plan, preview.before, applied),
    auditId,
    ...(auditProblem ? { auditProblem } : {}),
    ...(lostAnswer ? { readBack: lostAnswer } : {}),
  };
}

function sentWrite(plan: RemediationPlan, preview: Preview): Parameters<typeof readBack>[1] {
  const action = plan.action === 'create' || plan.action === 'delete' ? plan.action : 'patch';
  const { before, change, after: expected } = preview;
  return { action, where: describe(plan), identity: identity(plan), before, change, expected };
}

/**
 * Records a write that failed: `failed` when the API server refused it or it never reached the server;
 * `unknown` when nothing says either, its read-back included (then an OutcomeUnknownError saying how
 * to look). The error returned is the one to throw; an audit log that cannot take the outcome is said
 * in it.
 */
function recordFailure(
  audit: AuditStore,
  auditId: number,
  plan: RemediationPlan,
  error: unknown,
  settled?: ReadBack,
): Error {
  // A read-back is made only for a write that got no answer, so it never makes one answered.
  const unanswered = !(error instanceof RemediationError) || error.unanswered;
  const message = `${(error as Error).message}${settled ? `; read back, ${settled.seen}` : ''}`;
  const notRecorded = auditWrite(
    audit,
    auditId,
    [unanswered ? 'unknown' : 'failed', { error: message }],
    (p) => stillApplying(auditId, p),
  );
  if (unanswered) {
    const said = notRecorded
      ? `the change may have been applied — check with: ${getCommand(plan.target)}; ${notRecorded}`
      : mayHaveLanded(plan.target, auditId);
    return new OutcomeUnknownError(`${message}; ${said}`, auditId);
  }
  return notRecorded ? new RemediationError(`${message}; ${notRecorded}`) : (error as Error);
}

/** What to say of a change that may have been applied: how to look, and what its audit entry says. */
export function mayHaveLanded(target: AuditEntry['target'], auditId: number): string {
  return `the change may have been applied — check with: ${getCommand(target)}; audit entry ${auditId} records its outcome as unknown`;
}

function stillApplying(auditId: number, problem: string): string {
  return `audit entry ${auditId} could not be updated (${problem}) and still says applying`;
}

/**
 * An audit write after the change was sent: undefined when done, else what the entry says now (a
 * throw would hide the outcome). `unwritten` words a failed write (a locked database).
 */
function auditWrite(
  audit: AuditStore,
  id: number,
  [state, details]: [Exclude<AuditState, 'applying'>, { resultVersion?: string; error?: string }],
  unwritten: (problem: string) => string,
): string | undefined {
  try {
    if (audit.finish(id, state, details)) return undefined;
  } catch (error) {
    return unwritten((error as Error).message);
  }
  // Another outcome was recorded first (another process, an interrupt): it is kept, and said.
  let now: string;
  try {
    now = audit.get(id)?.state ?? 'missing';
  } catch {
    now = 'unreadable';
  }
  return `audit entry ${id} already says ${now}, which is kept (not ${state})`;
}

/** Restores what an applied plan changed, if nobody changed the object since. Reads only that object. */
export async function rollback(
  api: KubernetesObjectApi,
  audit: AuditStore,
  auditId: number,
  actor: string,
  now = new Date(),
  options: ApplyOptions = {},
): Promise<Applied> {
  return applyPlan(api, await rollbackPlan(api, audit, auditId), audit, actor, now, options);
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
  if (!isPlainObject(patched) || !isPlainObject(current)) return previous === undefined ? null : previous;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(patched)) {
    out[key] = restoreValue(isPlainObject(previous) ? previous[key] : undefined, current[key], patched[key]);
  }
  return out;
}

function describe(plan: RemediationPlan): string {
  return formatRef(plan.target);
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
