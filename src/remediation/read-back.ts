// What became of a write whose answer was lost (a timeout, a reset, a 5xx), told by one read of the
// object right away: the object holding what the dry run showed, written by us since, means it was
// carried out. Nothing read means it was not: found unchanged, it has not been changed *yet* (no 5xx
// says the work stopped; a 500 "etcdserver: request timed out" can still commit), so that, like a
// failed read or someone else's change, leaves the outcome unknown.
import { isDeepStrictEqual } from 'node:util';
import type { KubernetesObjectApi } from '@kubernetes/client-node';
import { isPlainObject } from '../snapshot/raw-object.js';
import { type Obj, readObject } from './object-calls.js';
import { recreatable } from './object-content.js';

export const FIELD_MANAGER = 'mtls-doctor';

export type ReadBack =
  /** `object`: as read (undefined after a delete); its resourceVersion is the one the write left. */
  | { readonly outcome: 'applied'; readonly object?: Obj; readonly seen: string }
  | { readonly outcome: 'unknown'; readonly seen: string };

const MAY_STILL_LAND = 'yet, but the request may still be carried out';

export interface SentWrite {
  readonly action: 'create' | 'delete' | 'patch';
  /** The object as `formatRef` names it, and its identity for the read. */
  readonly where: string;
  readonly identity: Obj;
  /** The object read before the write: a patch's precondition version. */
  readonly before?: Obj;
  /** What was sent: the merge patch, the new object, or the delete options with their preconditions. */
  readonly change: Record<string, unknown>;
  /** What the dry run returned, which the diff showed. */
  readonly expected?: Obj;
}

export async function readBack(api: KubernetesObjectApi, sent: SentWrite, sentAt: Date): Promise<ReadBack> {
  const { where } = sent;
  let live: Obj | undefined;
  try {
    live = await readObject(api, sent.identity);
  } catch (error) {
    return { outcome: 'unknown', seen: `reading ${where} back failed too (${(error as Error).message})` };
  }
  const version = live?.metadata?.resourceVersion;
  if (sent.action === 'delete') {
    const bound = (sent.change.preconditions ?? {}) as { uid?: string; resourceVersion?: string };
    if (!live) return { outcome: 'applied', seen: `${where} is gone: it was deleted` };
    if (live.metadata?.uid !== bound.uid)
      return {
        outcome: 'applied',
        seen: `${where} is another object now (uid ${live.metadata?.uid}): it was deleted`,
      };
    if (version === bound.resourceVersion)
      return {
        outcome: 'unknown',
        seen: `${where} is unchanged (resourceVersion ${version}): it was not deleted ${MAY_STILL_LAND}`,
      };
    return {
      outcome: 'unknown',
      seen: `${where} still exists at resourceVersion ${version}${live.metadata?.deletionTimestamp ? ', being deleted' : ''}`,
    };
  }
  if (sent.action === 'create') {
    if (!live)
      return { outcome: 'unknown', seen: `${where} does not exist: it was not created ${MAY_STILL_LAND}` };
    if (holds(live, sent, sentAt))
      return {
        outcome: 'applied',
        object: live,
        seen: `${where} exists as written (resourceVersion ${version})`,
      };
    return { outcome: 'unknown', seen: `${where} exists with other content (resourceVersion ${version})` };
  }
  const was = sent.before?.metadata?.resourceVersion;
  if (!live) return { outcome: 'unknown', seen: `${where} does not exist any more` };
  if (version === was)
    return {
      outcome: 'unknown',
      seen: `${where} is unchanged (resourceVersion ${version}): the change was not applied ${MAY_STILL_LAND}`,
    };
  if (holds(live, sent, sentAt))
    return {
      outcome: 'applied',
      object: live,
      seen: `${where} holds the change (resourceVersion ${version})`,
    };
  return {
    outcome: 'unknown',
    seen: `${where} changed (resourceVersion ${was} → ${version}) but does not hold what the change writes`,
  };
}

// Only the fields the write sets are compared (a controller's annotation says nothing); where the API
// server records writers, ours must have written since this write was sent (an older write of ours
// says nothing: the same value may be kubectl's, which a rollback must not undo). managedFields times
// have whole seconds.
function holds(live: Obj, sent: SentWrite, sentAt: Date): boolean {
  const writers = live.metadata?.managedFields;
  const since = Math.floor(sentAt.getTime() / 1000) * 1000;
  const ours = (w: { manager?: string; time?: Date | string }) =>
    w.manager === FIELD_MANAGER && (w.time === undefined || new Date(w.time).getTime() >= since);
  if (writers?.length && !writers.some(ours)) return false;
  return isDeepStrictEqual(
    pick(recreatable(live), sent.change),
    pick(recreatable(sent.expected ?? {}), sent.change),
  );
}

/** The parts of `object` at the keys `shape` has, object by object down. */
function pick(object: unknown, shape: unknown): unknown {
  if (!isPlainObject(shape) || !isPlainObject(object)) return object;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(shape)) out[key] = pick(object[key], shape[key]);
  return out;
}
