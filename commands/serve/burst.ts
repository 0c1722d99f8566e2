// Slack requests come in bursts (an incident channel, everyone typing `/mtls check`). Each one's ack is
// cheap, but its follow-up work (the "checking…" post, the answer's posts) takes the event loop for
// longer, and interleaved with the burst it would delay the acks still to come. So follow-up work
// waits until requests stop arriving for a moment: a burst's acks all go out first. The wait is
// bounded, so a steady stream of requests delays follow-ups by at most `maxWaitMs`.
import { setImmediate as afterPendingIo } from 'node:timers/promises';
import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';

export interface BurstOptions {
  /** How long without a new request counts as the end of a burst. */
  readonly quietMs?: number;
  /** The longest a follow-up waits for the burst to end. */
  readonly maxWaitMs?: number;
  readonly now?: () => number;
}

export interface Burst {
  /** Global middleware: every authentic request (Bolt verified its signature) marks an arrival. */
  readonly noteArrival: Middleware<AnyMiddlewareArgs>;
  /** Resolves once no request arrived for `quietMs` (or after `maxWaitMs`), after pending I/O. */
  readonly settled: () => Promise<void>;
}

export function burstTracker({
  quietMs = 50,
  maxWaitMs = 500,
  now = () => performance.now(),
}: BurstOptions = {}): Burst {
  let lastArrival = Number.NEGATIVE_INFINITY;
  return {
    noteArrival: async ({ next }) => {
      lastArrival = now();
      await next();
    },
    settled: async () => {
      const since = now();
      // Requests already read from their sockets are handled (and acked) before this resumes.
      await afterPendingIo();
      for (;;) {
        const t = now();
        const quietFor = t - lastArrival;
        if (quietFor >= quietMs || t - since >= maxWaitMs) return;
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(quietMs - quietFor, maxWaitMs - (t - since))),
        );
      }
    },
  };
}
