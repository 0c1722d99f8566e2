// Whether a change whose outcome was never recorded (its write timed out, the connection was reset,
// the process was interrupted or died while it was on its way) reached the object. The object is read
// and compared with what the change wrote: only when it holds exactly that may the change be treated
// as applied, its current resourceVersion standing for the one the change would have recorded, so
// that its rollback is bound (and refused on a later change) like any other.
import type { KubernetesObjectApi } from '@kubernetes/client-node';
import { formatRef } from '../snapshot/types.js';
import type { AuditEntry } from '../store/audit-store.js';
import { applyMergePatch } from './merge-patch.js';
import { objectIdentity, RemediationError, readObject } from './object-calls.js';
import { sameContent } from './object-content.js';

/** The entry as an applied one if its change is found in the cluster; a RemediationError if not. */
export async function confirmLanded(api: KubernetesObjectApi, entry: AuditEntry): Promise<AuditEntry> {
  const where = formatRef(entry.target);
  const notLanded = (now: string) =>
    new RemediationError(
      `audit entry ${entry.id} has no recorded outcome (${entry.state}) and ${now}: the change did not land (or the object changed since); nothing was rolled back`,
    );
  const current = await readObject(api, objectIdentity(entry.target));
  // Entries of versions before the action column: a change with no previous object created it.
  const action = entry.action ?? (entry.previous ? 'merge-patch' : 'create');
  if (action === 'delete') {
    if (current) throw notLanded(`${where} still exists`);
    return { ...entry, state: 'applied' };
  }
  if (!current) throw notLanded(`${where} does not exist`);
  // An entry of an older log may not record what it wrote: then nothing tells whether it landed.
  if (!entry.patch || Object.keys(entry.patch).length === 0)
    throw new RemediationError(
      `audit entry ${entry.id} has no recorded outcome (${entry.state}) and does not record what it wrote, so whether it landed cannot be told; nothing was rolled back`,
    );
  // What the change wrote is there when writing it again would change nothing. Only its own fields are
  // compared: a controller's annotation (a Deployment's revision after a template patch) is no sign
  // that the change did not land.
  const again = applyMergePatch(current, entry.patch ?? {}) as Record<string, unknown>;
  if (!sameContent(current, again)) throw notLanded(`${where} does not hold what it wrote`);
  return { ...entry, state: 'applied', resultVersion: current.metadata?.resourceVersion };
}
