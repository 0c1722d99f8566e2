// Where an `/mtls` answer lands, and what the requester sees when Slack refuses it. In the channel the
// answer replaces the hourglass and continues in its thread; an answer Slack refuses (msg_blocks_too_long,
// invalid_blocks, ratelimited after the client's retries) leaves a plain-text summary in its place,
// never the hourglass, and no thread under a head that never landed. Where the bot may not post, the
// requester alone gets the answer, its thread parts as further private replies.
import type { RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { type Block, escapeSlack, type SlackMessage, withoutThreadNote } from '../../src/render/blocks.js';

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

/** Slack takes at most 5 responses to one command's response_url, within 30 minutes. */
export const RESPONSES_PER_COMMAND = 5;

/**
 * The answer to the requester alone (the channel took no post from the bot). There is no thread: its
 * parts follow as further private replies, as many as Slack takes, and the first says how many were
 * left out instead of pointing at a thread.
 */
export async function answerPrivately(target: AnswerTarget, message: SlackMessage): Promise<void> {
  const parts = message.thread.slice(0, RESPONSES_PER_COMMAND - 1);
  const leftOut = message.thread.length - parts.length;
  const head = {
    text: message.text,
    blocks: [...withoutThreadNote(message.blocks), ...(leftOut > 0 ? [leftOutNote(leftOut)] : [])],
  };
  for (const reply of [head, ...parts]) {
    const sent = await target.slack('response_url', () =>
      target.respond({ response_type: 'ephemeral', text: reply.text, blocks: reply.blocks }),
    );
    if (!sent.ok) return;
  }
}

function leftOutNote(leftOut: number): Block {
  const messages = `${leftOut} more message${leftOut === 1 ? '' : 's'}`;
  return {
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `:warning: ${messages} of this answer not shown: Slack takes ${RESPONSES_PER_COMMAND} private replies to a command. Invite the bot to this channel and ask again to get the whole answer in a thread.`,
      },
    ],
  };
}
