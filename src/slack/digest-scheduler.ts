// Scheduled digests (croner, time-zone aware). With several replicas only one posts each digest: the
// store's lease `digest:<channel>` goes to the first replica that takes it, for ten minutes.
import { Cron } from 'croner';
import type { StateStore } from '../store/sqlite-store.js';

export interface ScheduledDigest {
  readonly channel: string;
  readonly cron: string;
  readonly timezone?: string;
}

export interface SchedulerDeps {
  readonly store: StateStore;
  /** This replica's name in the lease (pod name). */
  readonly holder: string;
  readonly post: (channel: string) => Promise<void>;
  readonly onError?: (channel: string, error: Error) => void;
  readonly now?: () => number;
}

const LEASE_MS = 10 * 60_000;

export function scheduleDigests(entries: readonly ScheduledDigest[], deps: SchedulerDeps): { stop(): void } {
  const jobs = entries.map(
    (entry) =>
      new Cron(entry.cron, { timezone: entry.timezone ?? 'UTC', protect: true }, async () => {
        const now = deps.now?.() ?? Date.now();
        if (!deps.store.acquireLease(`digest:${entry.channel}`, deps.holder, now, LEASE_MS)) return;
        try {
          await deps.post(entry.channel);
        } catch (error) {
          deps.onError?.(entry.channel, error as Error);
        }
      }),
  );
  return {
    stop: () => {
      for (const job of jobs) job.stop();
    },
  };
}
