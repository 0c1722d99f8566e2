// The plan that undoes an audit entry's change: restore the previous content, delete what the change
// created, create again what it deleted, each bound to the version the change left. It is previewed
// (dry run and diff) and applied like any other plan.
import type { KubernetesObjectApi } from '@kubernetes/client-node';
import { formatRef } from '../snapshot/types.js';
import type { AuditEntry, AuditStore } from '../store/audit-store.js';
import { confirmLanded } from './landed.js';
import { type Obj, RemediationError } from './object-calls.js';
import { recreatable } from './object-content.js';
import { createCommand, deleteCommand, type RemediationPlan } from './plans.js';

/** How long an entry still `applying` may be a write on its way (the longest request timeout and more). */
const IN_FLIGHT_MS = 5 * 60_000;

/**
 * The plan that restores what audit entry `auditId` changed: previewed (dry run and diff) with
 * `previewPlan` and carried out with `applyPlan` or `rollback`, like any other plan. An entry with no
 * recorded outcome (`unknown`, or `applying` after a crash) is rolled back only once the object is
 * read and found to hold what the change wrote; the rollback is then bound to that object's version.
 */
export async function rollbackPlan(
  api: KubernetesObjectApi,
  audit: AuditStore,
  auditId: number,
  now = new Date(),
): Promise<RemediationPlan> {
  const recorded = audit.get(auditId);
  if (!recorded) throw new RemediationError(`no audit entry ${auditId}`);
  if (recorded.state === 'unknown' || recorded.state === 'applying') {
    // Still on its way in another process (fix, the bot): its own outcome is yet to come.
    const age = now.getTime() - Date.parse(recorded.createdAt);
    if (recorded.state === 'applying' && age < IN_FLIGHT_MS)
      throw new RemediationError(
        `audit entry ${auditId} is still being applied (started ${Math.round(age / 1000)} s ago); wait for its outcome, then roll it back`,
      );
    // A later change of the object may have written the same thing: what is there cannot be told
    // apart from it, and undoing it would undo that change.
    const later = audit.nextOnTarget(recorded);
    if (later)
      throw new RemediationError(
        `audit entry ${auditId} has no recorded outcome (${recorded.state}), and audit entry ${later.id} changed the same object since: what the object holds may be that change; ${later.state === 'applied' || later.state === 'unknown' ? `roll back entry ${later.id} instead, or ` : ''}change the object by hand`,
      );
    return planFor(await confirmLanded(api, recorded));
  }
  if (recorded.state !== 'applied')
    throw new RemediationError(
      `audit entry ${auditId} is ${recorded.state}; only an applied change can be rolled back`,
    );
  return planFor(recorded);
}

function planFor(entry: AuditEntry): RemediationPlan {
  const auditId = entry.id;
  const where = formatRef(entry.target);
  const undoes = { auditId, resultVersion: entry.resultVersion };
  if (entry.action === 'delete' && entry.previous) {
    const object = recreatable(entry.previous) as Obj;
    return {
      id: `rollback:${auditId}`,
      title: `Roll back change ${auditId} (create ${where} again)`,
      risk: 'Creates the deleted object again, as it was; refused if an object of that name exists now.',
      action: 'create',
      target: { ...entry.target },
      body: object,
      undoes,
      kubectl: createCommand(object),
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
