// Scheduled posture digests (`digests` in the configuration): at each cron time, the digest of the
// whole mesh goes to its channel, followed by the 30-day trend picture.
import type { WebClient } from '@slack/web-api';
import { channelMaySee } from '../../src/slack/authorize.js';
import { scheduleDigests } from '../../src/slack/digest-scheduler.js';
import { buildDigestMessage } from '../../src/slack/digest-service.js';
import type { BotDeps } from './deps.js';
import { digestPicture, postPicture } from './pictures.js';
import { postWithThread } from './post.js';

export function startScheduledDigests(client: WebClient, deps: BotDeps): { stop(): void } {
  const { config } = deps;
  return scheduleDigests(config.digests, {
    store: deps.store,
    holder: process.env.HOSTNAME ?? `pid-${process.pid}`,
    post: async (channel) => {
      // A digest shows every namespace. loadConfig refuses a digest channel whose rule is not "*"; the
      // rule is asked again at every post, so the decision is the one of the configuration the bot
      // runs with now, not the one a schedule was made from.
      const access = channelMaySee(config, channel, undefined);
      if (!access.allowed) {
        deps.metrics.checks.inc({ command: 'scheduled-digest', outcome: 'refused' });
        deps.logger.warn({ channel, reason: access.reason }, 'scheduled digest refused by access rules');
        return;
      }
      const posture = await deps.engine.posture();
      const { message } = await buildDigestMessage(posture, deps.store, {
        save: true,
        prometheusUrl: config.prometheusUrl,
      });
      await postWithThread(client, channel, message);
      deps.metrics.checks.inc({ command: 'scheduled-digest', outcome: 'posted' });
      await postPicture(client, channel, () => digestPicture(deps.store, posture, true), deps);
    },
    onError: (channel, error) => {
      deps.metrics.checks.inc({ command: 'scheduled-digest', outcome: 'failed' });
      deps.logger.error({ channel, err: error.message }, 'scheduled digest failed');
    },
  });
}
