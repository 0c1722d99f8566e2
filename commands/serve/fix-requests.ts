// The approval flow: a remediation button opens a fix request with the dry-run diff; an approver who
// is not the requester approves (or rejects) it; the change is applied with a resourceVersion
// precondition and audited, the namespace re-checked, and a Rollback button offered, itself a request
// needing approval. Requests expire, stale ones are refused, and each resolves once. Every click is
// authorised: the channel it came from and the request's channel must see the change's namespace, and
// only approvers approve.
import type { App, BlockAction, ButtonAction, RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Written } from '../../src/impact/apply-object.js';
import { breakage, breakagePhrase, notComputed, type PlanImpact } from '../../src/impact/plan-impact.js';
import {
  type Applied,
  applyPlan,
  OutcomeUnknownError,
  previewPlan,
  RemediationError,
  rollback,
  rollbackPlan,
  writtenBy,
} from '../../src/remediation/apply.js';
import { gitOpsManager, gitOpsNote } from '../../src/remediation/gitops.js';
import type { RemediationPlan } from '../../src/remediation/plans.js';
import { type Block, escapeSlack, fitSection, section } from '../../src/render/blocks.js';
import { channelMaySee, channelsMayChange, namespaceOf, userMayApprove } from '../../src/slack/authorize.js';
import type { FixRequest } from '../../src/store/request-store.js';
import type { BotDeps } from './deps.js';
import { diffBlocks } from './diff-blocks.js';
import { announceApplied, announceUnknown, type Reply, rollbackCommand } from './fix-announce.js';
import { slackErrorOf } from './slack-error.js';

type Remediation = NonNullable<BotDeps['remediation']>;

const ephemeral =
  (respond: RespondFn): Reply =>
  (text, blocks) =>
    respond({
      response_type: 'ephemeral',
      replace_original: false,
      text,
      ...(blocks ? { blocks } : {}),
    }).then(
      () => true,
      () => false,
    );

export function registerFixRequests(app: App, deps: BotDeps): void {
  app.action<BlockAction<ButtonAction>>('fix-approve', async ({ ack, action, body, client, respond }) => {
    await ack();
    const reply = ephemeral(respond);
    if (!deps.remediation) return void (await reply('This bot reads manifests; nothing can be applied.'));
    await approve(
      deps,
      deps.remediation,
      Number(action.value),
      { user: body.user.id, channel: body.channel?.id ?? '' },
      client as unknown as WebClient,
      reply,
    );
  });

  app.action<BlockAction<ButtonAction>>('fix-reject', async ({ ack, action, body, client, respond }) => {
    await ack();
    const reply = ephemeral(respond);
    const requests = deps.remediation?.requests;
    const request = requests?.get(Number(action.value));
    if (!requests || !request) return void (await reply('Unknown request.'));
    const user = body.user.id;
    const access = channelsMayChange(
      deps.config,
      { click: body.channel?.id ?? '', request: request.channel },
      namespaceOf(request.plan.target),
    );
    if (!access.allowed)
      return void (await refuse(deps, reply, 'rejection', user, request.id, access.reason));
    // The requester may withdraw their own request; anyone else must be an approver.
    const approver = userMayApprove(deps.config, user);
    if (user !== request.requester && !approver.allowed)
      return void (await refuse(deps, reply, 'rejection', user, request.id, approver.reason));
    if (!requests.resolve(request.id, 'rejected', user))
      return void (await reply(alreadyResolved(requests.get(request.id))));
    deps.metrics.remediations.inc({ outcome: 'rejected' });
    await client.chat
      .postMessage({ channel: request.channel, text: `Fix request ${request.id} rejected by <@${user}>.` })
      .catch((error: unknown) => {
        const why = slackErrorOf(error);
        deps.metrics.slackErrors.inc({ method: 'chat.postMessage' });
        deps.logger.warn({ request: request.id, err: why }, 'could not post the rejection');
        return reply(
          `Fix request ${request.id} is rejected; the channel could not be told (${escapeSlack(why)}).`,
        );
      });
  });

  app.action<BlockAction<ButtonAction>>('fix-rollback', async ({ ack, action, body, client, respond }) => {
    await ack();
    const reply = ephemeral(respond);
    const remediation = deps.remediation;
    const auditId = Number(action.value);
    const entry = remediation?.audit.get(auditId);
    if (!remediation || !entry) return void (await reply('Unknown change.'));
    const channel = body.channel?.id ?? '';
    const access = channelMaySee(deps.config, channel, namespaceOf(entry.target));
    if (!access.allowed)
      return void (await refuse(deps, reply, 'rollback request', body.user.id, auditId, access.reason));
    // The same dry run and diff as any other request.
    let plan: RemediationPlan;
    let preview: Awaited<ReturnType<typeof previewPlan>>;
    try {
      plan = await rollbackPlan(remediation.objects, remediation.audit, auditId);
      preview = await previewPlan(remediation.objects, plan);
    } catch (error) {
      return void (await reply(`The dry run failed: ${escapeSlack((error as Error).message)}`));
    }
    const request = remediation.requests.create({
      plan,
      requester: body.user.id,
      channel,
      namespace: namespaceOf(entry.target),
      createdAt: Date.now(),
      expiresAt: Date.now() + deps.config.approvers.requestTtlMs,
      resourceVersion: preview.before?.metadata?.resourceVersion,
      rollbackOf: auditId,
    });
    const effect = await impactOf(deps, writtenBy(plan, preview));
    const refused = await postOrFail(
      remediation,
      client as unknown as WebClient,
      deps,
      request,
      diffBlocks(
        preview.diff,
        `the whole diff restores what audit entry ${auditId} changed, as the entry keeps it`,
      ),
      impactText(effect),
      effect,
    );
    if (refused)
      await reply(
        `:x: Could not post the rollback request to this channel (${escapeSlack(refused)}): invite the bot to it, or ${rollbackCommand(auditId)}.`,
      );
  });
}

/** Called from a remediation button: opens a request with the server-side dry run's diff. */
export async function requestFix(
  deps: BotDeps,
  remediation: Remediation,
  plan: RemediationPlan,
  requester: string,
  channel: string,
  client: WebClient,
): Promise<string | undefined> {
  if (deps.config.approvers.users.length === 0) {
    return 'No approvers are configured (approvers.users), so fixes cannot be applied from Slack; run the kubectl command after review.';
  }
  let preview: Awaited<ReturnType<typeof previewPlan>>;
  try {
    preview = await previewPlan(remediation.objects, plan);
  } catch (error) {
    return `The dry run failed: ${(error as Error).message}`;
  }
  const request = remediation.requests.create({
    plan,
    requester,
    channel,
    namespace: namespaceOf(plan.target),
    resourceVersion: preview.before?.metadata?.resourceVersion,
    createdAt: Date.now(),
    expiresAt: Date.now() + deps.config.approvers.requestTtlMs,
  });
  const manager = gitOpsManager(preview.before);
  const effect = await impactOf(deps, writtenBy(plan, preview));
  const details = [
    impactText(effect),
    manager ? `:warning: ${escapeSlack(gitOpsNote(manager, preview.change))}` : '',
  ]
    .filter(Boolean)
    .join('\n');
  // A check's plan is one the CLI finds again; a revert (from a change alert) is not.
  const diff = diffBlocks(
    preview.diff,
    plan.id.startsWith('revert:')
      ? 'reject the request if what is shown is not enough to judge it'
      : `\`mtls-doctor fix ${escapeSlack(plan.id)}\` shows the whole dry-run diff`,
  );
  const refused = await postOrFail(remediation, client, deps, request, diff, details, effect);
  if (refused)
    return `Could not post the fix request to this channel (${refused}): invite the bot to it, or run the kubectl command above after review.`;
  deps.metrics.remediations.inc({ outcome: 'requested' });
  return undefined;
}

/** The plan's effect on calls, on the bot's current view; a failure to compute it is said, not hidden. */
async function impactOf(deps: BotDeps, written: Written): Promise<PlanImpact> {
  if (!deps.engine.impactOf) return notComputed('no cluster view to compute it on');
  try {
    return await deps.engine.impactOf(written);
  } catch (error) {
    deps.logger.warn({ err: (error as Error).message }, 'impact of a fix request failed');
    return notComputed((error as Error).message);
  }
}

/** What the change breaks, said first (calls, else the error findings it opens), and the impact line showing it. */
function breakageShown(effect: PlanImpact): { headline: string; line: string } | undefined {
  const phrase = breakagePhrase(effect);
  if (!phrase) return undefined;
  // The opened findings come last in the impact's lines; the calls (or why it is unknown) first.
  const line = (breakage(effect) === 'errors' ? effect.lines.at(-1) : effect.lines[0]) ?? '';
  return { headline: phrase.charAt(0).toUpperCase() + phrase.slice(1), line };
}

function impactText(effect: PlanImpact): string {
  const lines = effect.lines.map(escapeSlack).join('\n');
  const broken = breakageShown(effect);
  if (broken) return `${effect.computed ? ':red_circle:' : ':warning:'} *${broken.headline}.* ${lines}`;
  return effect.computed ? `:white_check_mark: ${lines}` : `:grey_question: ${lines}`;
}

/**
 * Posts a request for approval. One the channel refuses (not_in_channel, channel_not_found,
 * msg_blocks_too_long) nobody can approve, so it is resolved as failed; returns Slack's reason then.
 */
async function postOrFail(
  remediation: Remediation,
  ...post: Parameters<typeof postApprovalRequest>
): Promise<string | undefined> {
  const [, deps, request] = post;
  try {
    await postApprovalRequest(...post);
    return undefined;
  } catch (error) {
    remediation.requests.finish(request.id, 'failed');
    deps.metrics.slackErrors.inc({ method: 'chat.postMessage' });
    deps.logger.warn({ request: request.id, err: slackErrorOf(error) }, 'could not post the fix request');
    return slackErrorOf(error);
  }
}

async function postApprovalRequest(
  client: WebClient,
  deps: BotDeps,
  request: FixRequest,
  diff: Block[],
  details: string,
  effect: PlanImpact,
): Promise<void> {
  // An approver confirms the breakage itself, not only the title, before a breaking change applies.
  const broken = breakageShown(effect);
  const confirmText = broken
    ? `*${broken.headline}:* ${escapeSlack(broken.line)}\n${escapeSlack(request.plan.title)}`
    : escapeSlack(request.plan.title);
  const minutes = Math.round((request.expiresAt - request.createdAt) / 60_000);
  const approvers = deps.config.approvers.users
    .filter((u) => u !== request.requester)
    .map((u) => `<@${u}>`)
    .join(' ');
  await client.chat.postMessage({
    channel: request.channel,
    text: `Fix request ${request.id}: ${request.plan.title}`,
    blocks: [
      section(
        `:wrench: *Fix request ${request.id}* from <@${request.requester}>: ${escapeSlack(request.plan.title)}\n*Risk:* ${escapeSlack(request.plan.risk)}`,
      ),
      ...diff,
      section(details),
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `Needs an approver other than the requester (${approvers || 'none configured'}); expires in ${minutes} min. Dry run accepted by the API server.`,
          },
        ],
      },
      {
        type: 'actions',
        block_id: `fix-request-${request.id}`,
        elements: [
          {
            type: 'button',
            action_id: 'fix-approve',
            style: 'primary',
            text: { type: 'plain_text', text: 'Approve and apply' },
            value: String(request.id),
            confirm: {
              title: {
                type: 'plain_text',
                text:
                  effect.breaks > 0
                    ? 'Apply, breaking calls?'
                    : broken
                      ? 'Apply anyway?'
                      : 'Apply this change?',
              },
              text: { type: 'mrkdwn', text: fitSection(confirmText, 300) },
              confirm: { type: 'plain_text', text: 'Apply' },
              deny: { type: 'plain_text', text: 'Cancel' },
            },
          },
          {
            type: 'button',
            action_id: 'fix-reject',
            style: 'danger',
            text: { type: 'plain_text', text: 'Reject' },
            value: String(request.id),
          },
        ],
      },
    ],
  });
}

async function approve(
  deps: BotDeps,
  remediation: Remediation,
  id: number,
  click: { readonly user: string; readonly channel: string },
  client: WebClient,
  reply: Reply,
): Promise<void> {
  const { requests, audit, objects } = remediation;
  const approver = click.user;
  const request = requests.get(id);
  if (!request) return void (await reply('Unknown request.'));
  const access = channelsMayChange(
    deps.config,
    { click: click.channel, request: request.channel },
    namespaceOf(request.plan.target),
  );
  if (!access.allowed) return void (await refuse(deps, reply, 'approval', approver, id, access.reason));
  const may = userMayApprove(deps.config, approver);
  if (!may.allowed) return void (await refuse(deps, reply, 'approval', approver, id, may.reason));
  if (approver === request.requester)
    return void (await reply('You requested this fix; another approver has to approve it.'));
  if (request.state !== 'pending') return void (await reply(alreadyResolved(request)));
  if (Date.now() > request.expiresAt)
    return void (await reply(`Fix request ${id} expired; request it again from a fresh check.`));
  if (!requests.resolve(id, 'approved', approver))
    return void (await reply(alreadyResolved(requests.get(id))));
  const log = deps.logger.child({
    request: id,
    plan: request.plan.id,
    approver,
    requester: request.requester,
  });
  let result: Applied | undefined;
  let failure: string | undefined;
  let unknownOutcome: OutcomeUnknownError | undefined;
  try {
    result =
      request.rollbackOf !== undefined
        ? await rollback(
            objects,
            audit,
            request.rollbackOf,
            `${approver} (approved; requested by ${request.requester})`,
          )
        : await applyFresh(remediation, request, approver);
  } catch (error) {
    if (error instanceof OutcomeUnknownError) unknownOutcome = error;
    failure =
      error instanceof RemediationError ? error.message : `unexpected error: ${(error as Error).message}`;
  }
  // Even a failed write may have reached the API server: no answer may come from a cache now, and this
  // is said before any Slack call (which may take seconds). A watched model is told what the write
  // returned (or what it deleted), so the re-check waits until it shows it.
  const deleted = result !== undefined && result.after === undefined;
  const written = (deleted ? result?.before : result?.after)?.metadata;
  deps.engine.clusterChanged(
    written?.name && written.resourceVersion
      ? {
          kind: request.plan.target.kind,
          namespace: written.namespace,
          name: written.name,
          resourceVersion: written.resourceVersion,
          ...(deleted ? { deleted } : {}),
        }
      : undefined,
  );
  if (unknownOutcome) {
    // Neither applied nor failed: recorded so before any Slack call, which may fail or take seconds.
    requests.finish(id, 'unknown', unknownOutcome.auditId);
    deps.metrics.remediations.inc({ outcome: 'unknown' });
    log.warn({ audit: unknownOutcome.auditId, err: unknownOutcome.message }, 'fix outcome unknown');
    await announceUnknown(deps, client, reply, log, { request, outcome: unknownOutcome });
    return;
  }
  if (result === undefined) {
    const reason = failure ?? 'unexpected error: no result';
    requests.finish(id, 'failed');
    deps.metrics.remediations.inc({ outcome: 'failed' });
    log.error({ err: reason }, 'fix failed');
    await client.chat
      .postMessage({
        channel: request.channel,
        text: `:x: Fix request ${id} was not applied: ${escapeSlack(reason)}`,
      })
      .catch((postError: Error) => {
        deps.metrics.slackErrors.inc({ method: 'chat.postMessage' });
        log.warn({ err: postError.message }, 'could not post the failed fix');
        return reply(`:x: Fix request ${id} was not applied: ${escapeSlack(reason)}`);
      });
    return;
  }
  // The cluster has the change now: the request is applied whatever Slack does with the messages below.
  requests.finish(id, 'applied', result.auditId);
  deps.metrics.remediations.inc({ outcome: 'applied' });
  log.info({ audit: result.auditId }, 'fix applied');
  if (result.readBack)
    log.warn({ audit: result.auditId, err: result.readBack }, 'fix applied, its answer lost');
  if (result.auditProblem)
    log.error({ audit: result.auditId, err: result.auditProblem }, 'fix applied, audit log not updated');
  let recheck = '';
  if (request.namespace) {
    const answer = await deps.engine
      .answer({ kind: 'check', namespace: request.namespace })
      .catch(() => undefined);
    const ns = `\`${escapeSlack(request.namespace)}\``;
    // A re-check that could not see everything (a watch down, the write not seen yet) gives no counts:
    // "0 errors" from a partial view would read as "fixed".
    if (!answer) recheck = `\nRe-check of ${ns} after the change could not run: check it again.`;
    else if (answer.gaps.length > 0)
      recheck = `\nRe-check of ${ns} after the change: unknown, the view is incomplete (could not read ${escapeSlack(answer.gaps.join('; '))}).`;
    else
      recheck = `\nRe-check of ${ns} after the change: ${answer.findings.filter((f) => f.severity === 'error').length} error(s), ${answer.findings.filter((f) => f.severity === 'warning').length} warning(s).`;
  }
  await announceApplied(deps, client, reply, log, { request, approver, result, recheck });
}

// A request is stale when its object changed since the dry run shown to the approver.
function applyFresh(remediation: Remediation, request: FixRequest, approver: string) {
  return applyPlan(
    remediation.objects,
    request.plan,
    remediation.audit,
    `${approver} (approved; requested by ${request.requester})`,
    new Date(),
    {
      expectResourceVersion: request.resourceVersion,
    },
  );
}

async function refuse(
  deps: BotDeps,
  reply: Reply,
  what: string,
  user: string,
  id: number,
  reason: string,
): Promise<void> {
  deps.metrics.remediations.inc({ outcome: 'refused' });
  deps.logger.info({ user, id, reason }, `${what} refused by access rules`);
  await reply(`:no_entry: Refused: ${escapeSlack(reason)}.`);
}

function alreadyResolved(request: FixRequest | undefined): string {
  return request
    ? `Fix request ${request.id} was already resolved (${request.state}${request.resolvedBy ? ` by <@${request.resolvedBy}>` : ''}).`
    : 'Unknown request.';
}
