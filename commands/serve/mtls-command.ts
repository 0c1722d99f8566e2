// `/mtls`: acks at once (within Slack's 3 s), posts "checking…", then updates that message in place
// with the answer. Bad input and refused namespaces get a short ephemeral reply instead.
import type { App } from '@slack/bolt';
import { describeWhatIf } from '../../src/impact/what-if.js';
import { escapeSlack, type SlackMessage } from '../../src/render/blocks.js';
import type { Picture } from '../../src/render/pictures/picture.js';
import { channelMaySee, channelMaySeeCommand } from '../../src/slack/authorize.js';
import { HELP, parseCommand } from '../../src/slack/grammar.js';
import { answerInPlace, answerPrivately, type SlackCall } from './answer-delivery.js';
import type { BotDeps } from './deps.js';
import { postPicture } from './pictures.js';
import { postDigest } from './post-digest.js';
import { slackCodeOf, slackErrorOf } from './slack-error.js';

/**
 * `settled` resolves when a burst of requests has been acked (commands/serve/burst.ts): follow-up work
 * waits for it, so it never delays the acks of the commands that arrived with this one.
 */
export function registerMtlsCommand(app: App, deps: BotDeps, settled: () => Promise<void>): void {
  app.command('/mtls', async ({ command, ack, client, respond }) => {
    const parsed = parseCommand(command.text ?? '');
    if (!parsed.ok) return void (await ack({ response_type: 'ephemeral', text: parsed.message }));
    const request = parsed.command;
    if (request.kind === 'help') return void (await ack({ response_type: 'ephemeral', text: HELP }));
    if (request.kind === 'digest') {
      const access = channelMaySee(deps.config, command.channel_id, undefined);
      if (!access.allowed) {
        deps.logger.info(
          { channel: command.channel_id, user: command.user_id, reason: access.reason },
          'digest refused by access rules',
        );
        return void (await ack({
          response_type: 'ephemeral',
          text: `:no_entry: Refused: ${access.reason}.`,
        }));
      }
      await ack();
      await settled();
      try {
        const { threadError } = await postDigest(client, command.channel_id, deps, 'on-demand');
        if (threadError)
          await respond({
            response_type: 'ephemeral',
            text: `:warning: The digest is posted; its per-namespace detail could not be added to its thread (${escapeSlack(threadError)}).`,
          }).catch(() => {});
      } catch (error) {
        deps.metrics.checks.inc({ command: 'digest', outcome: 'failed' });
        deps.logger.error({ err: (error as Error).message }, 'digest failed');
        await respond({ response_type: 'ephemeral', text: digestFailure(error) }).catch(() => {});
      }
      return;
    }
    const access = channelMaySeeCommand(deps.config, command.channel_id, request);
    if (!access.allowed) {
      deps.logger.info(
        {
          channel: command.channel_id,
          user: command.user_id,
          namespace: request.namespace,
          reason: access.reason,
        },
        'check refused by access rules',
      );
      return void (await ack({ response_type: 'ephemeral', text: `:no_entry: Refused: ${access.reason}.` }));
    }
    await ack();
    // Handed off at once: the answer is worked out in a worker thread while the burst is still acked.
    const answering = deps.engine.answer(request).then(
      (result) => ({ result }),
      (error: unknown) => ({ error: error instanceof Error ? error : new Error(String(error)) }),
    );
    const stopTimer = deps.metrics.checkDuration.startTimer({ command: request.kind });
    await settled();

    const log = deps.logger.child({
      requestId: command.trigger_id,
      command: request.kind,
      namespace: request.namespace,
      channel: command.channel_id,
      user: command.user_id,
    });
    const what =
      request.kind === 'certs'
        ? 'Reading certificates of'
        : request.kind === 'matrix'
          ? 'Working out connectivity of'
          : request.kind === 'whatif'
            ? `Working out what ${describeWhatIf(request.change)} would break in`
            : 'Checking';
    // A mesh-wide what-if names no namespace.
    const scope = request.namespace ?? 'the mesh';
    const slack: SlackCall = async (method, call) => {
      // Each call serialises its message on the event loop: it waits while a burst is being acked.
      await settled();
      try {
        return { ok: true, value: await call() };
      } catch (error) {
        deps.metrics.slackErrors.inc({ method });
        log.warn({ method, err: (error as Error).message }, 'Slack API call failed');
        return { ok: false, error: slackErrorOf(error) };
      }
    };
    const posted = await slack('chat.postMessage', () =>
      client.chat.postMessage({
        channel: command.channel_id,
        text: `:hourglass_flowing_sand: ${what} \`${scope}\` for <@${command.user_id}>…`,
      }),
    );
    let message: SlackMessage;
    let picture: Picture | undefined;
    const answered = await answering;
    if ('result' in answered) {
      const { result } = answered;
      message = result.message;
      picture = result.picture;
      if (result.pictureError) log.warn({ err: result.pictureError }, 'could not draw the matrix');
      deps.metrics.checks.inc({ command: request.kind, outcome: result.verdict });
      for (const f of result.findings) deps.metrics.findings.inc({ code: f.code, severity: f.severity });
      for (const source of result.gaps) deps.metrics.kubernetesErrors.inc({ source });
      log.info(
        { verdict: result.verdict, findings: result.findings.length, gaps: result.gaps.length },
        'answered',
      );
    } else {
      const { error } = answered;
      deps.metrics.checks.inc({ command: request.kind, outcome: 'failed' });
      deps.metrics.kubernetesErrors.inc({ source: 'snapshot' });
      log.error({ err: error.message }, 'check failed');
      const reason = escapeSlack(error.message).slice(0, 2500);
      message = {
        text: `Could not check ${scope}`,
        blocks: [
          {
            type: 'section',
            text: {
              type: 'mrkdwn',
              text: `:x: Could not complete the check of \`${scope}\`: ${reason}`,
            },
          },
        ],
        thread: [],
      };
    }
    stopTimer();
    const target = { client, channel: command.channel_id, respond, slack };
    const ts = posted.ok ? posted.value.ts : undefined;
    if (ts) {
      const landed = await answerInPlace(target, ts, message);
      // The heat map goes beside the failing pairs (a channel that took the text takes the picture).
      if (landed && picture)
        await settled().then(() =>
          postPicture(client, command.channel_id, picture, { ...deps, logger: log }),
        );
      return;
    }
    // The channel did not take our post (bot not invited, private channel): answer only the requester.
    // Bolt throws RespondError when the response_url post fails; the helper counts and logs it.
    await answerPrivately(target, message);
  });
}

/** A digest Slack refused to post was built: say that, with Slack's code, not "could not build". */
function digestFailure(error: unknown): string {
  const slackCode = slackCodeOf(error);
  if (slackCode)
    return `:x: The digest was built but Slack refused to post it here (${escapeSlack(slackCode)})${slackCode === 'not_in_channel' ? ': invite the bot to this channel' : ''}.`;
  return `:x: Could not build the digest: ${escapeSlack((error as Error).message.slice(0, 500))}`;
}
