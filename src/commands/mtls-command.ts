// `/mtls`: acks at once (within Slack's 3 s), posts "checking…", then updates that message in place
// with the answer. Bad input and refused namespaces get a short ephemeral reply instead.
import type { App } from '@slack/bolt';
import { channelMayCheck } from '../config.js';
import type { SlackMessage } from '../render/blocks.js';
import { HELP, parseCommand } from '../slack/grammar.js';
import type { BotDeps } from './deps.js';

export function registerMtlsCommand(app: App, deps: BotDeps): void {
  app.command('/mtls', async ({ command, ack, client, respond, logger }) => {
    const parsed = parseCommand(command.text ?? '');
    if (!parsed.ok) return void (await ack({ response_type: 'ephemeral', text: parsed.message }));
    const request = parsed.command;
    if (request.kind === 'help') return void (await ack({ response_type: 'ephemeral', text: HELP }));
    if (request.kind === 'digest') {
      return void (await ack({
        response_type: 'ephemeral',
        text: 'The posture digest is not part of this version of mtls-doctor yet; use `/mtls check <namespace>`.',
      }));
    }
    const access = channelMayCheck(deps.config, command.channel_id, request.namespace);
    if (!access.allowed)
      return void (await ack({ response_type: 'ephemeral', text: `:no_entry: Refused: ${access.reason}.` }));
    await ack();

    const what =
      request.kind === 'certs'
        ? 'Reading certificates of'
        : request.kind === 'matrix'
          ? 'Working out connectivity of'
          : 'Checking';
    let ts: string | undefined;
    try {
      const posted = await client.chat.postMessage({
        channel: command.channel_id,
        text: `:hourglass_flowing_sand: ${what} \`${request.namespace}\` for <@${command.user_id}>…`,
      });
      ts = posted.ts;
    } catch (error) {
      logger.warn(
        `cannot post in ${command.channel_id} (${(error as Error).message}); answering ephemerally`,
      );
    }
    let message: SlackMessage;
    try {
      message = await deps.answer(request);
    } catch (error) {
      logger.error(`/mtls ${request.kind} ${request.namespace} failed: ${(error as Error).message}`);
      message = {
        text: `Could not check ${request.namespace}`,
        blocks: [
          {
            type: 'section',
            text: {
              type: 'mrkdwn',
              text: `:x: Could not complete the check of \`${request.namespace}\`: ${(error as Error).message.replaceAll('<', '&lt;').slice(0, 2500)}`,
            },
          },
        ],
        thread: [],
      };
    }
    if (ts) {
      await client.chat.update({
        channel: command.channel_id,
        ts,
        text: message.text,
        blocks: message.blocks,
      });
      for (const part of message.thread) {
        await client.chat.postMessage({
          channel: command.channel_id,
          thread_ts: ts,
          text: part.text,
          blocks: part.blocks,
        });
      }
      return;
    }
    try {
      await respond({ response_type: 'ephemeral', text: message.text, blocks: message.blocks });
    } catch (error) {
      // Bolt throws RespondError when the response_url post fails; nothing else can be done then.
      logger.error(`could not answer /mtls in ${command.channel_id}: ${(error as Error).message}`);
    }
  });
}
