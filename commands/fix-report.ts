// What `fix` prints about a change it made, kept apart from the command's flow.
import { blockingGaps, type Diagnosis } from '../src/engine/diagnose.js';
import { diffFindings } from '../src/engine/impact.js';
import { shellQuote } from '../src/remediation/plans.js';
import { sanitizeText } from '../src/render/sanitize.js';
import { formatRef } from '../src/snapshot/types.js';

/** The options of this run that decide where a rollback of its change looks. */
export interface RollbackTarget {
  /** The audit log written, as a full path (like the kubeconfig): the hint runs from any directory. */
  readonly auditPath: string;
  readonly kubeconfig?: string;
  readonly context?: string;
}

/**
 * The rollback command of audit entry `auditId` with the audit log, kubeconfig and context this run
 * used, so that it runs as printed: without them it would look for the default audit file and act on
 * the current context, which may be another cluster. Every operand is shell-quoted.
 */
export function rollbackCommand(auditId: number, target: RollbackTarget): string {
  const words = ['fix', '--rollback', String(auditId), '--audit', target.auditPath];
  if (target.kubeconfig !== undefined) words.push('--kubeconfig', target.kubeconfig);
  if (target.context !== undefined) words.push('--context', target.context);
  return ['mtls-doctor', ...words.map(shellQuote)].join(' ');
}

/** For a change whose outcome is unknown: the rollback, which reads the object before it undoes anything. */
export function undoIfLanded(auditId: number, target: RollbackTarget): string {
  return `${rollbackCommand(auditId, target)} rolls it back only if it landed`;
}

/** The re-check after a change: its diagnosis, or why it could not run. */
export type Recheck = { readonly diagnosis: Diagnosis } | { readonly failed: string };

/**
 * "strict-plaintext-clients: 1 finding(s) before, 0 after." A side read with gaps is "unknown": its
 * count would be of what could be read (a forbidden list of policies reads as "0 after", a false
 * success), and a re-check that failed has no count at all.
 */
export function findingCounts(code: string, before: Diagnosis, after: Recheck): string {
  const side = (diagnosis: Diagnosis) =>
    unreadable(diagnosis) ?? diagnosis.findings.filter((f) => f.code === code).length;
  const beforeSide = side(before);
  const afterSide =
    'failed' in after ? 'unknown (the re-check could not read the cluster)' : side(after.diagnosis);
  return `${code}: ${typeof beforeSide === 'number' ? `${beforeSide} finding(s) before` : `before: ${beforeSide}`}, ${typeof afterSide === 'number' ? `${afterSide} after` : `after: ${afterSide}`}.`;
}

/**
 * The error and warning findings of the re-check that the diagnosis before the change did not have,
 * whatever their code (the count line says only the plan's), one line each, and how many are errors.
 * A side read with gaps makes them unknown, never "none"; a failed re-check is said by the count line.
 */
export function openedFindings(
  before: Diagnosis,
  after: Recheck,
): { readonly lines: readonly string[]; readonly errors: number } {
  if ('failed' in after) return { lines: [], errors: 0 };
  const missed = unreadable(before) ?? unreadable(after.diagnosis);
  if (missed) return { lines: [`Findings opened by the change: ${missed}.`], errors: 0 };
  const opened = diffFindings(before.findings, after.diagnosis.findings).opened.filter(
    (f) => f.severity !== 'info',
  );
  return {
    lines: opened.map((f) => {
      return sanitizeText(
        `Opened by the change: ${f.severity} ${f.code} ${formatRef(f.resource)}: ${f.message}`,
      );
    }),
    errors: opened.filter((f) => f.severity === 'error').length,
  };
}

/** "unknown (incomplete: …)" naming what a read with gaps missed; undefined for a whole read. */
function unreadable(diagnosis: Diagnosis): string | undefined {
  const missed = blockingGaps(diagnosis).map((g) => sanitizeText(g.source));
  if (missed.length === 0) return undefined;
  return `unknown (incomplete: ${missed.slice(0, 3).join(', ')}${missed.length > 3 ? ', …' : ''})`;
}
