// An object whose fields the analysis cannot read. From a manifest that is bad input, located at the
// field (file:line, exit 2). From a live cluster it is not the user's input but what the API server
// holds (a CRD without schema validation keeps anything): that object is left out and named in a gap,
// so one odd object does not stop the check of the rest, and does not vanish silently either.
import { ManifestError, type RawObject } from './raw-object.js';
import type { Gap } from './types.js';

/** A ManifestError that also knows the field and the problem, without the object's name in front. */
export class InvalidObjectError extends ManifestError {
  constructor(
    file: string,
    line: number,
    detail: string,
    /** `data.mesh.enableAutoMtls: Invalid input: expected boolean, received string` */
    readonly problem: string,
  ) {
    super(file, line, detail);
  }
}

/**
 * Bad input: `subject: problem`, located at the field when it came from a file (`cluster:0` is never
 * shown: a live read turns it into a gap with `invalidObjectGaps`).
 */
export function invalid(
  raw: RawObject,
  path: readonly (string | number)[],
  problem: string,
  subject?: string,
): InvalidObjectError {
  const detail = subject ? `${subject}: ${problem}` : problem;
  return new InvalidObjectError(
    raw.location?.file ?? 'cluster',
    raw.location ? raw.lineOf(path) : 0,
    detail,
    problem,
  );
}

/** `ConfigMap istio-system/istio`, `Pod (unnamed)`. */
export function describeObject(raw: RawObject, kind: string): string {
  const metadata = raw.object.metadata as { name?: unknown; namespace?: unknown } | undefined;
  const name = typeof metadata?.name === 'string' ? metadata.name : '(unnamed)';
  const namespace = typeof metadata?.namespace === 'string' ? `${metadata.namespace}/` : '';
  return `${kind} ${namespace}${name}`;
}

// Webhook configurations are a cross-check (their LIST is an optional read too): one left out leaves
// the core check complete.
const CROSS_CHECK_KINDS = new Set(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);

/** Past this many, one gap counts the rest (a field every pod of a DaemonSet has in common). */
const SHOWN = 10;

/** The objects a read left out, as gaps (a live read) or as errors to name (a diff's base). */
export class LeftOutObjects {
  private readonly left: { raw: RawObject; kind: string; error: InvalidObjectError }[] = [];

  /** Runs `read`; an InvalidObjectError leaves `raw` out (noted) instead of ending the read. */
  tolerate(raw: RawObject, read: () => void): void {
    try {
      read();
    } catch (error) {
      if (!(error instanceof InvalidObjectError)) throw error;
      const kind = typeof raw.object.kind === 'string' ? raw.object.kind : 'object';
      this.left.push({ raw, kind, error });
    }
  }

  /** Each object left out, as the error a strict read would have stopped at (file:line, field). */
  errors(): InvalidObjectError[] {
    return this.left.map((l) => l.error);
  }

  gaps(): Gap[] {
    const gaps: Gap[] = this.left.slice(0, SHOWN).map(({ raw, kind, error }) => ({
      source: describeObject(raw, kind),
      reason: `${error.problem} (the analysis cannot read this value, so the object was left out of the check)`,
      ...(CROSS_CHECK_KINDS.has(kind) ? { optional: true } : {}),
    }));
    const rest = this.left.slice(SHOWN);
    if (rest.length > 0) {
      const kinds = [...new Set(rest.map((l) => l.kind))].sort().join(', ');
      gaps.push({
        source: `${rest.length} more objects (${kinds})`,
        reason: 'left out of the check for values the analysis cannot read, like the ones above',
        ...(rest.every((l) => CROSS_CHECK_KINDS.has(l.kind)) ? { optional: true } : {}),
      });
    }
    return gaps;
  }
}
