// What the approval flow posts once an approved change was sent: applied (with its diff and the Roll
// back button), or an outcome nobody knows (the write got no answer). Neither is ever turned into "not
// applied" by Slack refusing a post: a shorter post, then the approver alone, then the log.
import type { WebClient } from '@slack/web-api';
import type { Applied, OutcomeUnknownError } from '../../src/remediation/apply.js';
import { type Block, escapeSlack, section } from '../../src/render/blocks.js';
import type { FixRequest } from '../../src/store/request-store.js';
import type { BotDeps } from './deps.js';
import { diffBlocks } from './diff-blocks.js';

/** An ephemeral answer to whoever clicked; whether Slack took it. */
export type Reply = (text: string, blocks?: Block[]) => Promise<boolean>;

/**
 * Tells the channel a fix was applied, with its diff and (for a fix, not a rollback) the Roll back
 * button. A refused post never turns the change into a failure: a shorter message with the button and
 * the CLI's rollback command is tried, then the approver alone (ephemeral), then the log.
 */
export async function announceApplied(
  deps: BotDeps,
  client: WebClient,
  reply: Reply,
  log: BotDeps['logger'],
  applied: { request: FixRequest; approver: string; result: Applied; recheck: string },
): Promise<void> {
  const { request, approver, result, recheck } = applied;
  const id = request.id;
  const undo = request.rollbackOf === undefined ? rollbackButton(`fix-applied-${id}`, result.auditId) : [];
  const failed = (attempt: string, error: unknown) => {
    deps.metrics.slackErrors.inc({ method: 'chat.postMessage' });
    log.warn(
      { err: (error as Error).message, audit: result.auditId, attempt },
      'could not post the applied fix',
    );
  };
  try {
    await client.chat.postMessage({
      channel: request.channel,
      text: `Fix request ${id} applied`,
      blocks: [
        section(
          `:white_check_mark: *Fix request ${id} applied* by <@${approver}> (requested by <@${request.requester}>). Audit entry ${result.auditId}.${result.readBack ? ` The API server's answer was lost; reading the object back shows the change.` : ''}${result.auditProblem ? ` :warning: The change is made, but ${escapeSlack(result.auditProblem)}.` : ''}${recheck}`,
        ),
        ...diffBlocks(
          result.diff,
          `audit entry ${result.auditId} keeps the object as it was before the change`,
        ),
        ...undo,
      ],
    });
    return;
  } catch (error) {
    failed('full', error);
  }
  // Without the diff (the blocks may be what Slack refused), and with the way back spelled out.
  const short = `:white_check_mark: Fix request ${id} was applied by <@${approver}> (requested by <@${request.requester}>): audit entry ${result.auditId}. ${
    request.rollbackOf === undefined
      ? `To undo it: Roll back, or ${rollbackCommand(result.auditId)}.`
      : `It restored audit entry ${request.rollbackOf}.`
  }`;
  try {
    await client.chat.postMessage({
      channel: request.channel,
      text: `Fix request ${id} applied (audit entry ${result.auditId})`,
      blocks: [section(short), ...undo],
    });
    return;
  } catch (error) {
    failed('short', error);
  }
  // The channel takes no post from the bot: the approver who clicked still learns it, privately.
  if (await reply(short, [section(short), ...undo])) return;
  log.error({ audit: result.auditId }, 'fix applied, but Slack took no message saying so');
}

/**
 * Tells the channel an approved change got no answer saying whether it was carried out: neither
 * "applied" nor "not applied". The request and its audit entry say `unknown`; for a fix, the Roll back
 * button is offered, since its rollback reads the object and undoes the change only if it landed.
 */
export async function announceUnknown(
  deps: BotDeps,
  client: WebClient,
  reply: Reply,
  log: BotDeps['logger'],
  unknown: { request: FixRequest; outcome: OutcomeUnknownError },
): Promise<void> {
  const { request, outcome } = unknown;
  const text = `:warning: Fix request ${request.id} may have been applied: ${escapeSlack(outcome.message)}.${
    request.rollbackOf === undefined
      ? ' Roll back reads the object and undoes the change only if it landed.'
      : ''
  }`;
  const undo =
    request.rollbackOf === undefined ? rollbackButton(`fix-unknown-${request.id}`, outcome.auditId) : [];
  const blocks = [section(text), ...undo];
  try {
    await client.chat.postMessage({
      channel: request.channel,
      text: `Fix request ${request.id} may have been applied`,
      blocks,
    });
  } catch (error) {
    deps.metrics.slackErrors.inc({ method: 'chat.postMessage' });
    log.warn({ err: (error as Error).message, audit: outcome.auditId }, 'could not post the unknown outcome');
    if (!(await reply(text, blocks)))
      log.error({ audit: outcome.auditId }, 'fix outcome unknown, and Slack took no message saying so');
  }
}

/** The CLI's way to restore what audit entry `auditId` changed, for when Slack takes no button. */
export function rollbackCommand(auditId: number): string {
  return `run \`mtls-doctor fix --rollback ${auditId}\` with \`--audit\` set to the bot's \`store.path\``;
}

/** The Roll back button of audit entry `auditId`: it opens a rollback request, itself approved. */
function rollbackButton(blockId: string, auditId: number): Block[] {
  return [
    {
      type: 'actions',
      block_id: blockId,
      elements: [
        {
          type: 'button',
          action_id: 'fix-rollback',
          text: { type: 'plain_text', text: 'Roll back' },
          value: String(auditId),
        },
      ],
    },
  ];
}
