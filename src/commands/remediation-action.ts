// A remediation button: shows the plan, its risk and the exact kubectl equivalent to whoever clicked.
// Applying it from Slack (with a second person's approval) is the remediation workflow's job.
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { escapeSlack } from '../render/blocks.js';
import type { BotDeps } from './deps.js';

export function registerRemediationAction(app: App, deps: BotDeps): void {
  app.action<BlockAction<ButtonAction>>(/^remediation:/, async ({ ack, action, respond }) => {
    await ack();
    const plan = deps.plans.get(action.value ?? '');
    deps.metrics.remediations.inc({ outcome: plan ? 'plan-shown' : 'plan-unknown' });
    const text = plan
      ? [
          `*${escapeSlack(plan.title)}*`,
          `*Risk:* ${escapeSlack(plan.risk)}`,
          '*kubectl equivalent:*',
          `\`\`\`${escapeSlack(plan.kubectl)}\`\`\``,
          "_Nothing was changed. Applying from Slack needs a second person's approval; until that workflow is enabled here, run the command yourself after review._",
        ].join('\n')
      : 'This plan is no longer known (the bot restarted or the check is old): run `/mtls check <namespace>` again.';
    try {
      await respond({ response_type: 'ephemeral', replace_original: false, text: text.slice(0, 3000) });
    } catch (error) {
      deps.metrics.slackErrors.inc({ method: 'response_url' });
      deps.logger.error({ err: (error as Error).message }, 'could not answer a remediation click');
    }
  });
}
