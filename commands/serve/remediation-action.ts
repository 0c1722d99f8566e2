// A remediation button. With a live cluster and approvers configured it opens a fix request (dry run,
// diff, Approve/Reject for someone else); otherwise it shows the plan, its risk and the exact kubectl
// equivalent to whoever clicked. A click from a channel that may not see the plan's namespace gets
// only the refusal: no plan, no request, no dry run.
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { escapeCode, escapeSlack, fitSection } from '../../src/render/blocks.js';
import { channelMaySee, namespaceOf } from '../../src/slack/authorize.js';
import type { BotDeps } from './deps.js';
import { requestFix } from './fix-requests.js';

export function registerRemediationAction(app: App, deps: BotDeps): void {
  app.action<BlockAction<ButtonAction>>(/^remediation:/, async ({ ack, action, body, client, respond }) => {
    await ack();
    const plan = deps.plans.get(action.value ?? '');
    const reply = async (text: string) => {
      try {
        await respond({ response_type: 'ephemeral', replace_original: false, text: fitSection(text) });
      } catch (error) {
        deps.metrics.slackErrors.inc({ method: 'response_url' });
        deps.logger.error({ err: (error as Error).message }, 'could not answer a remediation click');
      }
    };
    if (!plan) {
      deps.metrics.remediations.inc({ outcome: 'plan-unknown' });
      return reply(
        'This plan is no longer known (the bot restarted or the check is old): run `/mtls check <namespace>` again.',
      );
    }
    const channel = body.channel?.id ?? '';
    // Every namespace the plan acts in: a manual plan's restarts reach beyond its target's (those
    // names were not shown in this channel, so the refusal does not name them either).
    const beyond = (plan.namespaces ?? []).some((ns) => !channelMaySee(deps.config, channel, ns).allowed);
    const target = channelMaySee(deps.config, channel, namespaceOf(plan.target));
    const access = beyond
      ? { allowed: false as const, reason: 'the plan also acts in namespaces this channel may not see' }
      : target;
    if (!access.allowed) {
      deps.metrics.remediations.inc({ outcome: 'refused' });
      deps.logger.info(
        { channel, user: body.user.id, plan: plan.id, reason: access.reason },
        'remediation refused by access rules',
      );
      return reply(`:no_entry: Refused: ${escapeSlack(access.reason)}.`);
    }
    const planText = [
      `*${escapeSlack(plan.title)}*`,
      `*Risk:* ${escapeSlack(plan.risk)}`,
      '*kubectl equivalent:*',
      `\`\`\`${escapeCode(plan.kubectl)}\`\`\``,
    ];
    if (plan.manual) {
      deps.metrics.remediations.inc({ outcome: 'plan-shown' });
      return reply(
        [
          ...planText,
          '_Several steps in order, run by hand after review: nothing was requested or changed._',
        ].join('\n'),
      );
    }
    if (deps.remediation) {
      const refused = await requestFix(
        deps,
        deps.remediation,
        plan,
        body.user.id,
        channel,
        client as unknown as WebClient,
      );
      if (!refused) return;
      deps.metrics.remediations.inc({ outcome: 'plan-shown' });
      return reply([...planText, `_Not requested: ${escapeSlack(refused)}_`].join('\n'));
    }
    deps.metrics.remediations.inc({ outcome: 'plan-shown' });
    return reply(
      [
        ...planText,
        '_Nothing was changed. This bot reads manifests, so fixes are not applied from here; run the command yourself after review._',
      ].join('\n'),
    );
  });
}
