// JSON merge patch (RFC 7386): what the API server does with application/merge-patch+json, used to
// show the result of a plan before anything is sent.
import { isPlainObject } from '../snapshot/raw-object.js';

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

/**
 * One merge patch doing what `first` then `second` do. Unlike applying `second`, it keeps second's
 * nulls: a null is how a merge patch removes a field (a port entry a fix added, an annotation), and a
 * body without it would be accepted and change nothing.
 */
export function combinePatches(first: unknown, second: unknown): unknown {
  if (!isPlainObject(second) || !isPlainObject(first)) return second;
  const result: Record<string, unknown> = { ...first };
  for (const [key, value] of Object.entries(second)) result[key] = combinePatches(result[key], value);
  return result;
}
