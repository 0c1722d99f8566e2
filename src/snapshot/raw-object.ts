// A raw Kubernetes object as read, with where it came from; and the error for bad manifest input.
import type { SourceLocation } from './types.js';

export interface RawObject {
  readonly object: Record<string, unknown>;
  /** Absent for objects read from a live cluster. */
  readonly location?: SourceLocation;
  /** Line of a field given as a path of keys (for error messages and SARIF regions). */
  lineOf(path: readonly (string | number)[]): number;
}

/** Bad input: names the file and line; the CLI exits 2 with this message. */
export class ManifestError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
    /** When the input as a whole is wrong (no objects at all), a sentence instead of file:line. */
    message = `${file}:${line}: ${detail}`,
  ) {
    super(message);
    this.name = 'ManifestError';
  }
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
