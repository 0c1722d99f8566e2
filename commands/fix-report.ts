// What `fix` prints about a change it made, kept apart from the command's flow.
import { shellQuote } from '../src/remediation/plans.js';

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
