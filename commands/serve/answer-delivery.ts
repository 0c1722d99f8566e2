// Where an `/mtls` answer lands, and what the requester sees when Slack refuses it. In the channel the
// answer replaces the hourglass and continues in its thread; an answer Slack refuses (msg_blocks_too_long,
// invalid_blocks, ratelimited after the client's retries) leaves a plain-text summary in its place,
// never the hourglass, and no thread under a head that never landed.
import type { RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { escapeSlack, type SlackMessage } from '../../src/render/blocks.js';

export type Attempt<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string };

/** One Slack call; a failure is counted and logged by the caller's helper, and said in `error`. */
export type SlackCall = <T>(method: string, call: () => Promise<T>) => Promise<Attempt<T>>;

export interface AnswerTarget {
  readonly client: WebClient;
  readonly channel: string;
  readonly respond: RespondFn;
  readonly slack: SlackCall;
}

/** Puts the answer in place of the hourglass at `ts`, then its thread; true when the answer landed. */
export async function answerInPlace(
  target: AnswerTarget,
  ts: string,
  message: SlackMessage,
): Promise<boolean> {
  const { client, channel, slack } = target;
  const updated = await slack('chat.update', () =>
    client.chat.update({ channel, ts, text: message.text, blocks: message.blocks }),
  );
  if (!updated.ok) {
    await summaryInPlace(target, ts, message, updated.error);
    return false;
  }
  for (const part of message.thread) {
    await slack('chat.postMessage', () =>
      client.chat.postMessage({ channel, thread_ts: ts, text: part.text, blocks: part.blocks }),
    );
  }
  return true;
}

// The counts (the answer's fallback text) and why the rest is missing, as plain text: no blocks for
// Slack to refuse again. When even that is refused, the requester alone is told.
async function summaryInPlace(
  target: AnswerTarget,
  ts: string,
  message: SlackMessage,
  error: string,
): Promise<void> {
  const text = `${message.text}\n:warning: Could not post the details: ${escapeSlack(error)}.`;
  const updated = await target.slack('chat.update', () =>
    target.client.chat.update({ channel: target.channel, ts, text }),
  );
  if (updated.ok) return;
  await target.slack('response_url', () => target.respond({ response_type: 'ephemeral', text }));
}
