// Posts one change alert through the real changeAlertPoster to a Slack client that only records what it
// is asked to post, for channel C0OPS (which sees everything and watches for alerts).
import type { WebClient } from '@slack/web-api';
import { changeAlertPoster } from '../../commands/serve/change-alerts.js';
import type { BotConfig } from '../../src/config.js';
import { createLogger } from '../../src/ops/logger.js';
import { PlanCache } from '../../src/slack/plan-cache.js';
import type { BurstOutcome } from '../../src/snapshot/live/model-source.js';
import type { RevertAccess } from '../../src/snapshot/live/revert-access.js';

/** An API server that allows every revert the static list does (the tests that are not about RBAC). */
export const mayRevertAll: RevertAccess = async () => ({ allowed: true });

export interface PostedMessage {
  readonly text: string;
  readonly blocks: { type: string; text?: { text: string }; elements?: { text: { text: string } }[] }[];
}

export async function postAlert(
  alert: BurstOutcome,
  plans = new PlanCache(),
  mayRevert = mayRevertAll,
): Promise<{ posted: PostedMessage[]; plans: PlanCache }> {
  const posted: PostedMessage[] = [];
  const client = {
    chat: {
      postMessage: async (message: PostedMessage) => {
        posted.push(message);
        return { ok: true, ts: '1.1' };
      },
    },
  } as unknown as WebClient;
  const config = {
    access: { channels: { C0OPS: ['*'] } },
    watch: { channels: ['C0OPS'] },
  } as unknown as BotConfig;
  await changeAlertPoster({ config, plans, logger: createLogger('silent'), client, mayRevert })(alert);
  return { posted, plans };
}
