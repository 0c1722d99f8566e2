// One posture digest posted to a channel, on demand (`/mtls digest`) or on schedule: the message, then
// the 30-day trend picture. Counted by outcome; a digest from an incomplete read is counted
// `incomplete`, with each source that could not be read, as a check with gaps is. A digest whose
// thread Slack refused is still posted: that is logged and returned, not thrown.
import type { WebClient } from '@slack/web-api';
import { buildDigestMessage } from '../../src/slack/digest-service.js';
import type { BotDeps } from './deps.js';
import { digestPicture, postPicture } from './pictures.js';
import { postWithThread } from './post.js';

export async function postDigest(
  client: WebClient,
  channel: string,
  deps: BotDeps,
  when: 'on-demand' | 'scheduled',
): Promise<{ readonly threadError?: string }> {
  // Scheduled digests move the baseline; on-demand ones only compare with it.
  const save = when === 'scheduled';
  const posture = await deps.engine.posture();
  const { message } = await buildDigestMessage(posture, deps.store, {
    channel,
    save,
    prometheusUrl: deps.config.prometheusUrl,
  });
  const { threadError } = await postWithThread(client, channel, message);
  const command = save ? 'scheduled-digest' : 'digest';
  if (threadError) {
    deps.metrics.slackErrors.inc({ method: 'chat.postMessage' });
    deps.logger.warn({ channel, command, err: threadError }, 'digest posted; its detail could not be added');
  }
  const gaps = posture.gaps ?? [];
  deps.metrics.checks.inc({ command, outcome: gaps.length > 0 ? 'incomplete' : 'posted' });
  for (const gap of gaps) deps.metrics.kubernetesErrors.inc({ source: gap.source });
  if (gaps.length > 0)
    deps.logger.warn(
      { channel, command, gaps: gaps.map((g) => g.source) },
      'digest posted from an incomplete read: changes not compared, baseline kept',
    );
  await postPicture(client, channel, () => digestPicture(deps.store, posture, save), deps);
  return { threadError };
}
