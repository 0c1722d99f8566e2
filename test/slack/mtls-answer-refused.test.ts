// What the requester of `/mtls check` sees when Slack refuses the answer: the hourglass never stays, no
// thread is posted under a head that never landed, and a private answer promises no thread.
import type { App } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { RESPONSES_PER_COMMAND } from '../../commands/serve/answer-delivery.js';
import type { BotDeps } from '../../commands/serve/deps.js';
import { registerMtlsCommand } from '../../commands/serve/mtls-command.js';
import { createLogger } from '../../src/ops/logger.js';
import { BotMetrics } from '../../src/ops/metrics.js';
import type { SlackMessage } from '../../src/render/blocks.js';

type Handler = (args: Record<string, unknown>) => Promise<void>;
type Call = { readonly method: string; readonly args: Record<string, unknown> };

const COUNTS = 'mTLS check of shop: 30 error(s), 0 warning(s) in namespace shop';

function answerWithThread(parts: number): SlackMessage {
  return {
    text: COUNTS,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: 'finding 1' } },
      {
        // As blocks.ts paginate marks its note.
        type: 'context',
        block_id: 'continued-in-thread',
        elements: [{ type: 'mrkdwn', text: `:thread: Continued in the thread (${parts} more messages).` }],
      },
    ],
    thread: Array.from({ length: parts }, (_, i) => ({
      text: `${COUNTS} (part ${i + 2})`,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `part ${i + 2}` } }],
    })),
  };
}

/** Runs `/mtls check shop`; `refuse` names the Slack error a call gets (its nth call of that method). */
async function checkShop(
  message: SlackMessage,
  refuse: (method: string, nth: number) => string | undefined,
): Promise<Call[]> {
  let handler: Handler | undefined;
  const app = {
    command: (_: string, h: Handler) => {
      handler = h;
    },
  } as unknown as App;
  const deps = {
    config: { access: { channels: { C1: ['*'] } } },
    engine: { answer: async () => ({ message, verdict: 'problems-found', findings: [], gaps: [] }) },
    metrics: new BotMetrics(),
    logger: createLogger('silent'),
  } as unknown as BotDeps;
  registerMtlsCommand(app, deps, async () => {});
  const calls: Call[] = [];
  const call = (method: string) => async (args: Record<string, unknown>) => {
    calls.push({ method, args });
    const error = refuse(method, calls.filter((c) => c.method === method).length);
    if (error)
      throw Object.assign(new Error(`An API error occurred: ${error}`), { data: { ok: false, error } });
    return { ok: true, ts: '1.1' };
  };
  await (handler as Handler)({
    command: { text: 'check shop', channel_id: 'C1', user_id: 'U1', trigger_id: 't' },
    ack: async () => {},
    client: { chat: { postMessage: call('chat.postMessage'), update: call('chat.update') } },
    respond: call('response_url'),
  });
  return calls;
}

it('an answer Slack refuses to put in place of the hourglass leaves its counts and why, and no headless thread', async () => {
  const calls = await checkShop(answerWithThread(1), (method, nth) =>
    method === 'chat.update' && nth === 1 ? 'msg_blocks_too_long' : undefined,
  );
  expect(calls.map((c) => c.method)).toEqual(['chat.postMessage', 'chat.update', 'chat.update']);
  const summary = calls[2]?.args ?? {};
  expect(summary.ts).toBe('1.1');
  expect(summary.blocks).toBeUndefined();
  expect(summary.text).toContain(COUNTS);
  expect(summary.text).toContain('Could not post the details: msg_blocks_too_long');
});

it('when the hourglass cannot be replaced at all, the requester alone gets the summary', async () => {
  const calls = await checkShop(answerWithThread(1), (method) =>
    method === 'chat.update' ? 'ratelimited' : undefined,
  );
  expect(calls.map((c) => c.method)).toEqual([
    'chat.postMessage',
    'chat.update',
    'chat.update',
    'response_url',
  ]);
  const reply = calls[3]?.args ?? {};
  expect(reply.response_type).toBe('ephemeral');
  expect(reply.text).toContain(COUNTS);
  expect(reply.text).toContain('Could not post the details: ratelimited');
});

it('an answer that lands in place of the hourglass continues in its thread', async () => {
  const calls = await checkShop(answerWithThread(2), () => undefined);
  expect(calls.map((c) => `${c.method}${c.args.thread_ts ? ' (thread)' : ''}`)).toEqual([
    'chat.postMessage',
    'chat.update',
    'chat.postMessage (thread)',
    'chat.postMessage (thread)',
  ]);
});

describe('the bot not in the channel: the answer goes to the requester alone', () => {
  const notInChannel = (method: string) => (method === 'chat.postMessage' ? 'not_in_channel' : undefined);
  const replies = (calls: Call[]) => calls.filter((c) => c.method === 'response_url').map((c) => c.args);

  it('sends the thread parts as further private replies, and promises no thread', async () => {
    const sent = replies(await checkShop(answerWithThread(1), notInChannel));
    expect(sent.map((r) => r.response_type)).toEqual(['ephemeral', 'ephemeral']);
    expect(JSON.stringify(sent[1]?.blocks)).toContain('part 2');
    expect(JSON.stringify(sent)).not.toContain(':thread:');
  });

  it('past the replies Slack takes to one command, says how many parts were left out', async () => {
    const sent = replies(await checkShop(answerWithThread(6), notInChannel));
    expect(sent).toHaveLength(RESPONSES_PER_COMMAND);
    expect(JSON.stringify(sent[4]?.blocks)).toContain('part 5');
    const head = JSON.stringify(sent[0]?.blocks);
    expect(head).toContain('2 more messages of this answer not shown');
    expect(head).toContain('Invite the bot to this channel');
    expect(JSON.stringify(sent)).not.toContain(':thread:');
  });
});
