// Tells the watch channels (and the log) when the cluster model's thread stops, and again once the
// model that replaces it has synced: until then change alerts are silent, and a silence that is
// not said reads as "nothing broke".
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { BotConfig } from '../../src/config.js';
import { escapeSlack, truncate } from '../../src/render/blocks.js';
import type { ModelStatusReport } from '../../src/snapshot/live/model-source.js';

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
  const post = async (text: string) => {
    if (!deps.client) return;
    for (const channel of deps.config.watch?.channels ?? []) {
      try {
        await deps.client.chat.postMessage({ channel, text });
      } catch (error) {
        deps.logger.error({ channel, err: (error as Error).message }, 'model restart notice not posted');
      }
    }
  };
  return {
    stopped: (reason) => {
      const first = !down;
      down = { reason, at: now() };
      deps.logger.error({ reason }, 'cluster model thread stopped: restarting the model');
      if (first)
        void post(
          `:warning: The cluster model stopped (its thread stopped: ${quote(reason)}). It is restarting; until it has synced again, change alerts are paused and answers wait for it.`,
        );
    },
    status: (status) => {
      // Statuses the dead thread sent before it stopped may still arrive: only a later one counts.
      if (!down || !status.synced || status.at <= down.at) return;
      const { reason, at } = down;
      down = undefined;
      deps.logger.info(
        { reason, downMs: now() - at },
        'cluster model restarted after its thread stopped; change alerts resumed',
      );
      void post(
        `:white_check_mark: Cluster model restarted after its thread stopped: ${quote(reason)}; change alerts resumed.`,
      );
    },
  };
}

const quote = (reason: string) => escapeSlack(truncate(reason, 300));
