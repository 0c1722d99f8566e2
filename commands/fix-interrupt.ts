// A Ctrl-C (or SIGTERM) while a change is on its way to the API server must not end fix with the
// change's audit entry saying "applying" and nothing said: the request may already have been carried
// out. While an entry is open (begun, not finished), the signal records its outcome as unknown, lets
// the caller say how to check, and exits as the signal would (130, 143). Before the write nothing was
// changed, and after it the outcome is recorded: then the signal only ends fix.
import type { AuditEntry, AuditStore } from '../src/store/audit-store.js';

export interface InterruptGuard {
  /** The audit store to write through: it tells the guard which entry is open. */
  readonly audit: AuditStore;
  /** Stops trapping the signals. */
  release(): void;
}

const SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;

export function recordOnInterrupt(
  audit: AuditStore,
  interrupted: (open: { id: number; target: AuditEntry['target'] }, signal: NodeJS.Signals) => void,
): InterruptGuard {
  let open: { id: number; target: AuditEntry['target'] } | undefined;
  const guarded: AuditStore = {
    begin: (entry) => {
      const id = audit.begin(entry);
      open = { id, target: entry.target };
      return id;
    },
    finish: (id, state, details) => {
      // Closed even when the write fails (a locked database): the signal must not then overwrite an
      // outcome the caller knows (an applied change) with "unknown".
      try {
        return audit.finish(id, state, details);
      } finally {
        if (id === open?.id) open = undefined;
      }
    },
    get: (id) => audit.get(id),
    nextOnTarget: (entry) => audit.nextOnTarget(entry),
    close: () => audit.close(),
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (open) {
      try {
        audit.finish(open.id, 'unknown', {
          error: `interrupted (${signal}) while the change was being sent`,
        });
      } catch {
        // Still "applying": a rollback treats that like "unknown" (it reads the object first).
      }
      interrupted(open, signal);
    }
    process.exit(SIGNALS[signal as keyof typeof SIGNALS] ?? 130);
  };
  for (const signal of Object.keys(SIGNALS)) process.on(signal, onSignal);
  return {
    audit: guarded,
    release: () => {
      for (const signal of Object.keys(SIGNALS)) process.off(signal, onSignal);
    },
  };
}
