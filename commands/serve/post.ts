// A message and its continuation in its thread. A refused thread message does not undo the message
// already in the channel: it is reported beside it, not thrown as if nothing had been posted.
import type { WebClient } from '@slack/web-api';
import type { SlackMessage } from '../../src/render/blocks.js';
import { slackErrorOf } from './slack-error.js';

export interface Posted {
  /** The message's ts. */
  readonly ts: string | undefined;
  /** Set when Slack refused a thread message: how many were not added, and why. */
  readonly threadError?: string;
}

/** Posts a message, then its thread; throws only when the message itself is refused. */
export async function postWithThread(
  client: WebClient,
  channel: string,
  message: SlackMessage,
  threadTs?: string,
): Promise<Posted> {
  const posted = await client.chat.postMessage({
    channel,
    text: message.text,
    blocks: message.blocks,
    ...(threadTs ? { thread_ts: threadTs } : {}),
  });
  const ts = threadTs ?? posted.ts;
  for (const [i, part] of message.thread.entries()) {
    try {
      await client.chat.postMessage({ channel, thread_ts: ts, text: part.text, blocks: part.blocks });
    } catch (error) {
      // The rest would read as the whole: they are not tried.
      const missing = message.thread.length - i;
      return {
        ts: posted.ts,
        threadError: `${missing} of ${message.thread.length} thread message${message.thread.length === 1 ? '' : 's'} not added: ${slackErrorOf(error)}`,
      };
    }
  }
  return { ts: posted.ts };
}
