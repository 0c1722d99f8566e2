// One notice to every watch channel (a change alert paused, the cluster model restarted): a channel
// Slack refuses is logged and the others still get it.
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { BotConfig } from '../../src/config.js';

export async function postToWatchChannels(
  deps: { readonly config: BotConfig; readonly logger: Logger; readonly client: WebClient },
  text: string,
  notPosted: string,
): Promise<void> {
  for (const channel of deps.config.watch?.channels ?? []) {
    try {
      await deps.client.chat.postMessage({ channel, text });
    } catch (error) {
      deps.logger.error({ channel, err: (error as Error).message }, notPosted);
    }
  }
}
