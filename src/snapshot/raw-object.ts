// A raw Kubernetes object as read, with where it came from; and the error for bad manifest input.
import type { SourceLocation } from './types.js';

export { ManifestError } from './errors.js';

export interface RawObject {
  readonly object: Record<string, unknown>;
  /** Absent for objects read from a live cluster. */
  readonly location?: SourceLocation;
  /** Line of a field given as a path of keys (for error messages and SARIF regions). */
  lineOf(path: readonly (string | number)[]): number;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The kinds `kubectl get -o yaml|json` wraps objects in: `List`, `PodList`, ... */
export function isListKind(kind: unknown): boolean {
  return typeof kind === 'string' && kind.endsWith('List');
}

export function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
