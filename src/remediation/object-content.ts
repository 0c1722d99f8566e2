// An object's content: what it says, without what the API server sets on every write. Two reads of an
// object that nobody changed in between have the same content whatever their resourceVersions.
import { isDeepStrictEqual } from 'node:util';

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

/**
 * The object as it can be created again: what the API server sets (uid, resourceVersion,
 * managedFields, status, ...) left out, everything the object said kept.
 */
export function recreatable<T extends Record<string, unknown>>(object: T): T {
  const { status: _status, ...rest } = object;
  const metadata = { ...((object.metadata ?? {}) as Record<string, unknown>) };
  for (const key of SERVER_SET_METADATA) delete metadata[key];
  return { ...rest, metadata } as unknown as T;
}

export function sameContent(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return isDeepStrictEqual(recreatable(a), recreatable(b));
}
