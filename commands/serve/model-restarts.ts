// Tells the watch channels (and the log) when the cluster model's thread stops, and again once the
// model that replaces it has synced: until then change alerts are silent, and a silence that is
// not said reads as "nothing broke". A thread that keeps stopping (out of memory after each sync) is
// said once as a loop, and once more when it is stable again, not twice per crash for ever.
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { BotConfig } from '../../src/config.js';
import { escapeSlack, truncate } from '../../src/render/blocks.js';
import type { ModelStatusReport } from '../../src/snapshot/live/model-source.js';
import { postToWatchChannels } from './watch-channels.js';

// A second stop within 15 minutes of another is a loop: one notice, and its later stops and
// restarts go to the log only. Ten minutes without a stop, with the model synced, end it.
const LOOP_STOPS = 2;
export const LOOP_WINDOW_MS = 15 * 60_000;
export const STABLE_AFTER_MS = 10 * 60_000;

export interface ModelRestartDeps {
  readonly config: BotConfig;
  readonly logger: Logger;
  /** Absent without watch channels: the stop and the restart are only logged. */
  readonly client?: WebClient;
  readonly now?: () => number;
}

export interface ModelRestarts {
  /** The model's thread stopped (from the answer pool). */
  readonly stopped: (reason: string) => void;
  /** Every status the model broadcasts: the first synced one after a stop is the restart. */
  readonly status: (status: ModelStatusReport) => void;
}

// A thread that keeps dying before its model syncs posts once per restart, not once per death.
export function modelRestarts(deps: ModelRestartDeps): ModelRestarts {
  const now = deps.now ?? Date.now;
  let down: { reason: string; at: number } | undefined;
  // Stops of the last LOOP_WINDOW_MS, and the loop once said (its first stop, how many since).
  let stops: number[] = [];
  let loop: { since: number; count: number; last: number } | undefined;
  const post = async (text: string) => {
    const { client } = deps;
    if (client) await postToWatchChannels({ ...deps, client }, text, 'model restart notice not posted');
  };
  return {
    stopped: (reason) => {
      const at = now();
      const first = !down;
      down = { reason, at };
      stops = [...stops.filter((s) => at - s < LOOP_WINDOW_MS), at];
      if (loop) {
        loop = { ...loop, count: loop.count + 1, last: at };
        deps.logger.error(
          { reason, restarts: loop.count, since: iso(loop.since) },
          'cluster model thread stopped again: restarting the model (notice already posted)',
        );
        return;
      }
      deps.logger.error({ reason }, 'cluster model thread stopped: restarting the model');
      if (stops.length >= LOOP_STOPS) {
        loop = { since: stops[0] as number, count: stops.length, last: at };
        void post(
          `:repeat: The cluster model is restarting repeatedly (${loop.count} times since ${iso(loop.since)}; last: ${quote(reason)}). Change alerts are paused whenever it is down; further stops are only logged until it has run ${minutes(STABLE_AFTER_MS)} minutes without one.`,
        );
      } else if (first)
        void post(
          `:warning: The cluster model stopped (its thread stopped: ${quote(reason)}). It is restarting; until it has synced again, change alerts are paused and answers wait for it.`,
        );
    },
    status: (status) => {
      if (!status.synced) return;
      // Statuses the dead thread sent before it stopped may still arrive: only a later one counts.
      if (down && status.at > down.at) {
        const { reason, at } = down;
        down = undefined;
        deps.logger.info(
          { reason, downMs: now() - at },
          'cluster model restarted after its thread stopped; change alerts resumed',
        );
        if (!loop)
          void post(
            `:white_check_mark: Cluster model restarted after its thread stopped: ${quote(reason)}; change alerts resumed.`,
          );
      }
      // Statuses come every few seconds (a heartbeat): the first one past the quiet time ends the loop.
      if (loop && !down && now() - loop.last >= STABLE_AFTER_MS) {
        const { since, count } = loop;
        loop = undefined;
        stops = [];
        deps.logger.info({ restarts: count, since: iso(since) }, 'cluster model stable again');
        void post(
          `:white_check_mark: Cluster model stable again: synced, and no stop for ${minutes(STABLE_AFTER_MS)} minutes (it restarted ${count} times since ${iso(since)}); change alerts resumed.`,
        );
      }
    },
  };
}

const quote = (reason: string) => escapeSlack(truncate(reason, 300));
const iso = (at: number) => new Date(at).toISOString();
const minutes = (ms: number) => Math.round(ms / 60_000);
