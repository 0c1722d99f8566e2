// Scheduled posture digests (`digests` in the configuration): at each cron time, the digest of the
// whole mesh goes to its channel (post-digest.ts), saying what changed since that channel's last one.
import type { WebClient } from '@slack/web-api';
import { seedChannelBaselines } from '../../src/digest/baseline.js';
import { channelMaySee } from '../../src/slack/authorize.js';
import { scheduleDigests } from '../../src/slack/digest-scheduler.js';
import type { BotDeps } from './deps.js';
import { postDigest } from './post-digest.js';

export function startScheduledDigests(client: WebClient, deps: BotDeps): { stop(): void } {
  const { config } = deps;
  seedChannelBaselines(
    deps.store,
    config.digests.map((d) => d.channel),
  );
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
      await postDigest(client, channel, deps, 'scheduled');
    },
    onError: (channel, error) => {
      deps.metrics.checks.inc({ command: 'scheduled-digest', outcome: 'failed' });
      deps.logger.error({ channel, err: error.message }, 'scheduled digest failed');
    },
  });
}
