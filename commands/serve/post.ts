import type { WebClient } from '@slack/web-api';
import type { SlackMessage } from '../../src/render/blocks.js';

/** Posts a message and its continuation in the thread; returns the message's ts. */
export async function postWithThread(
  client: WebClient,
  channel: string,
  message: SlackMessage,
  threadTs?: string,
): Promise<string | undefined> {
  const posted = await client.chat.postMessage({
    channel,
    text: message.text,
    blocks: message.blocks,
    ...(threadTs ? { thread_ts: threadTs } : {}),
  });
  const ts = threadTs ?? posted.ts;
  for (const part of message.thread) {
    await client.chat.postMessage({ channel, thread_ts: ts, text: part.text, blocks: part.blocks });
  }
  return posted.ts;
}
