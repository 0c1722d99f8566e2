// Posts the breaking changes the live model finds (src/snapshot/live/watch-alerts.ts) to the channels
// of `watch.channels` that may see the changes blamed for it, with a Revert button that is a fix request like
// any other (four eyes, dry run, diff, precondition, audit, rollback). No storm: one message per object
// per channel in ten minutes, later ones in its thread.
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { BotConfig } from '../../src/config.js';
import { deleteCommand, type RemediationPlan, shellQuote } from '../../src/remediation/plans.js';
import {
  escapeCode,
  escapeSlack,
  fitSection,
  inlineCode,
  LIMITS,
  section,
  truncate,
} from '../../src/render/blocks.js';
import { channelMaySee } from '../../src/slack/authorize.js';
import type { PlanCache } from '../../src/slack/plan-cache.js';
import type {
  AlertsHeld,
  BreakingChange,
  BurstOutcome,
  Repair,
} from '../../src/snapshot/live/model-source.js';
import type { RevertAccess } from '../../src/snapshot/live/revert-access.js';
import type { ChangedObject } from '../../src/snapshot/live/watch-alerts.js';
import { postToWatchChannels } from './watch-channels.js';

const THREAD_WINDOW_MS = 10 * 60_000;

export interface ChangeAlertDeps {
  readonly config: BotConfig;
  readonly plans: PlanCache;
  readonly logger: Logger;
  readonly client: WebClient;
  /** Whether the bot may carry out a Revert here (RBAC is bound per namespace): asked before a button. */
  readonly mayRevert: RevertAccess;
  readonly now?: () => number;
}

/** Returns the handler of one alert (wired to the model's broadcast by `serve`). */
export function changeAlertPoster(deps: ChangeAlertDeps): (outcome: BurstOutcome) => Promise<void> {
  const posted = new Map<string, { ts: string; at: number }>();
  // Alert id → where it was posted (its thread), for the message that says it was repaired.
  const threads = new Map<number, { channel: string; ts: string }[]>();
  const now = deps.now ?? Date.now;
  return async (outcome) => {
    if ('harmless' in outcome) return void deps.logger.info('change burst compared: it broke nothing');
    if ('error' in outcome)
      return void deps.logger.error({ err: outcome.error }, 'change burst could not be compared');
    if ('repair' in outcome) return repaired(deps, outcome.repair, threads);
    if ('held' in outcome) return held(deps, outcome.held);
    const alert = outcome;
    // A button only where the remediate role can write and the API server says the bot may; the rest
    // are undone by hand, with the command.
    const refused = await refusedReverts(deps, alert.changes);
    const plans = alert.changes.flatMap((c) =>
      c.revert && !c.revert.byHand && !refused.has(c) ? [revertPlan(c)] : [],
    );
    const byHand = alert.changes.flatMap((c) =>
      c.revert?.byHand || refused.has(c)
        ? [{ name: nameOf(c), kubectl: revertPlan(c).kubectl, reason: refused.get(c) }]
        : [],
    );
    deps.plans.remember(plans);
    for (const channel of deps.config.watch?.channels ?? []) {
      // The channel must see every changed object; the sample shows only pairs it may see.
      const hidden = alert.changes.find((c) => !channelMaySee(deps.config, channel, scopeOf(c)).allowed);
      if (hidden) {
        deps.logger.info(
          { channel, object: nameOf(hidden) },
          'change alert not posted: channel may not see it',
        );
        continue;
      }
      const visible = (ns: string) => channelMaySee(deps.config, channel, ns).allowed;
      const sample = alert.sample.filter(
        (p) => (p.fromOutsideMesh || visible(ns(p.from))) && visible(ns(p.to)),
      );
      const key = `${channel}|${alert.changes.map(nameOf).sort().join(',')}`;
      const earlier = posted.get(key);
      const inThread = earlier && now() - earlier.at < THREAD_WINDOW_MS ? earlier.ts : undefined;
      try {
        const result = await deps.client.chat.postMessage({
          channel,
          ...(inThread ? { thread_ts: inThread } : {}),
          ...message(alert, sample, plans, byHand),
        });
        if (!inThread && result.ts) posted.set(key, { ts: result.ts, at: now() });
        const thread = inThread ?? result.ts;
        if (thread) threads.set(alert.id, [...(threads.get(alert.id) ?? []), { channel, ts: thread }]);
        if (threads.size > 500) threads.delete(threads.keys().next().value as number);
        deps.logger.info(
          { channel, objects: alert.changes.map(nameOf), broken: alert.broken, thread: Boolean(inThread) },
          'change alert posted',
        );
      } catch (error) {
        deps.logger.error({ channel, err: (error as Error).message }, 'change alert not posted');
      }
    }
  };
}

// Asked here, on the bot's thread while the alert is posted, not in the model's: why each revert the
// static list allows may still not be done by the bot (not bound in that namespace, or no answer).
async function refusedReverts(
  deps: ChangeAlertDeps,
  changes: readonly ChangedObject[],
): Promise<Map<ChangedObject, string>> {
  const refused = new Map<ChangedObject, string>();
  await Promise.all(
    changes.map(async (c) => {
      if (!c.revert || c.revert.byHand) return;
      const access = await deps.mayRevert(c);
      if (access.allowed) return;
      refused.set(c, access.reason);
      if (access.error)
        deps.logger.warn(
          { object: nameOf(c), err: (access.error as Error).message },
          'revert access not reviewed: no button',
        );
    }),
  );
  return refused;
}

// Alerts held for a watch that is down are said in every watch channel, once when they pause and once
// when they resume: a watch refused for good must not silence them unnoticed. Kinds and a count only,
// no object: every watch channel may see it.
async function held(deps: ChangeAlertDeps, held: AlertsHeld): Promise<void> {
  const kinds = held.kinds
    .map(
      (k) =>
        `${inlineCode(k.name)} ${k.since ? `not watched since ${escapeSlack(k.since)}` : 'not read yet'}`,
    )
    .join(', ');
  const text =
    held.state === 'paused'
      ? `:double_vertical_bar: Change alerts paused: ${kinds}; ${held.waiting} change(s) waiting, compared once the watch is back.`
      : `:arrow_forward: Change alerts resumed: the watches are back; the ${held.waiting} waiting change(s) are compared now.`;
  const reasons = held.kinds.flatMap((k) => (k.reason ? [`${k.name}: ${k.reason}`] : []));
  deps.logger.warn(
    { state: held.state, kinds: held.kinds.map((k) => k.name), reasons, waiting: held.waiting },
    `change alerts ${held.state}`,
  );
  await postToWatchChannels(deps, truncate(text, LIMITS.sectionText), 'change alert pause not posted');
}

// "Repaired by …" in the thread of every alert whose pairs all work again.
async function repaired(
  deps: ChangeAlertDeps,
  repair: Repair,
  threads: Map<number, { channel: string; ts: string }[]>,
): Promise<void> {
  const by = repair.changes
    .map((c) => {
      const who = c.manager ? ` by ${inlineCode(c.manager)}` : '';
      return `${c.type.toLowerCase()} \`${escapeSlack(nameOf(c))}\`${who}`;
    })
    .join(', ');
  const text = `:white_check_mark: Repaired by ${by}: the pairs this alert reported work again.`;
  for (const id of repair.alerts) {
    for (const { channel, ts } of threads.get(id) ?? []) {
      try {
        await deps.client.chat.postMessage({ channel, thread_ts: ts, text });
        deps.logger.info({ channel, alert: id }, 'change alert repaired');
      } catch (error) {
        deps.logger.error({ channel, err: (error as Error).message }, 'repair not posted');
      }
    }
    threads.delete(id);
  }
}

const ns = (ref: string) => ref.split('/')[0] as string;
const nameOf = (c: ChangedObject) => `${c.kind} ${c.namespace ? `${c.namespace}/` : ''}${c.name}`;

// A Namespace is seen by its name; the mesh config (and anything cluster-wide) only by a "*" channel.
function scopeOf(change: ChangedObject): string | undefined {
  if (change.kind === 'Namespace') return change.name;
  if (change.kind === 'ConfigMap') return undefined;
  return change.namespace;
}

/**
 * "Revert <Kind> <namespace>/<name>": two buttons never read alike (two objects named `default`). Past
 * Slack's 75 characters the middle of the name goes, so that both its start and its end still show.
 */
export function revertLabel(target: { kind: string; namespace?: string; name: string }): string {
  const prefix = `Revert ${target.kind} `;
  const ref = `${target.namespace ? `${target.namespace}/` : ''}${target.name}`;
  const room = LIMITS.buttonText - prefix.length;
  if (ref.length <= room) return prefix + ref;
  const head = Math.ceil((room - 1) / 2);
  return `${prefix}${ref.slice(0, head)}…${ref.slice(ref.length - (room - 1 - head))}`;
}

function revertPlan(change: ChangedObject): RemediationPlan {
  const revert = change.revert as NonNullable<ChangedObject['revert']>;
  const where = change.namespace ? ['-n', change.namespace] : [];
  // A delete has no body (nor command that takes one).
  const json = pasteableJson(revert.body ?? {});
  // A resourceVersion in a merge patch is a precondition the API server checks: the printed command
  // is refused (409) after a later edit, as the bot's own apply is.
  const patchJson =
    revert.action === 'merge-patch' && change.resourceVersion
      ? pasteableJson({
          ...revert.body,
          metadata: {
            ...((revert.body as { metadata?: object }).metadata ?? {}),
            resourceVersion: change.resourceVersion,
          },
        })
      : json;
  const target = {
    kind: change.kind,
    namespace: change.namespace,
    name: change.name,
    apiVersion: revert.apiVersion,
  };
  // The version the change left names the plan: a button of an older alert never resolves to a later one.
  const id = `revert:${change.kind}/${change.namespace ?? ''}/${change.name}:${change.type.toLowerCase()}@${change.resourceVersion ?? 'unknown'}`;
  if (revert.action === 'delete') {
    return {
      id,
      title: `Revert the change: delete ${nameOf(change)}, which it added`,
      risk: 'Deletes the object the change added; refused if it was changed since the alert.',
      action: 'delete',
      target,
      // Only the object as the alert saw it: a later edit (a fix of it) is not deleted with it.
      expectVersion: change.resourceVersion,
      kubectl: deleteCommand(target, change.resourceVersion),
    };
  }
  return {
    id,
    title: `Revert the change to ${nameOf(change)}`,
    risk:
      revert.action === 'create'
        ? 'Creates the deleted object again, as it was.'
        : 'Puts back the values the change replaced; whatever relied on the new values loses them.',
    action: revert.action,
    target,
    body: revert.body,
    // The patch puts back what this change replaced: bound to the version the change left, so a
    // later edit (a fix of the fix, someone else's change) is never overwritten by an old alert's button.
    ...(revert.action === 'merge-patch' ? { expectVersion: change.resourceVersion } : {}),
    kubectl:
      revert.action === 'create'
        ? `printf '%s\\n' ${shellQuote(json)} | kubectl create -f -`
        : [
            'kubectl',
            'patch',
            change.kind.toLowerCase(),
            change.name,
            ...where,
            '--type',
            'merge',
            '-p',
            patchJson,
          ]
            .map(shellQuote)
            .join(' '),
  };
}

/**
 * JSON as printable ASCII without backticks: a backtick in a Slack code block gets a zero-width space
 * (escapeCode) and anything invisible or non-ASCII may not survive a copy, so the pasted command would
 * create another object. `\u0060` and the other escapes mean the same characters to kubectl.
 */
function pasteableJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[^\x20-\x5f\x61-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

// A burst may change dozens of objects (a chart upgrade); Slack refuses a message over ~13,000
// characters of blocks or with more than 25 buttons in one actions block, and a refused alert is lost.
// The first changes show their diffs, the rest are named; Revert buttons go to the first few.
const SHOWN_DIFFS = 3;
const DIFF_CHARS = 2000;
const MAX_REVERT_BUTTONS = 5;
const NAMED_CHANGES = 10;
const BY_HAND_COMMANDS = 3;

function message(
  alert: BreakingChange,
  sample: BreakingChange['sample'],
  plans: readonly RemediationPlan[],
  byHand: readonly { name: string; kubectl: string; reason?: string }[],
) {
  const changes = alert.changes.slice(0, SHOWN_DIFFS).map((c) => {
    const who = c.manager ? ` by ${inlineCode(c.manager)}` : '';
    const when = c.changedAt ? ` at ${escapeSlack(c.changedAt)}` : '';
    const diff = fitSection(`\`\`\`${escapeCode(c.diff)}\`\`\``, DIFF_CHARS);
    return section(`*${c.type.toLowerCase()}* \`${escapeSlack(nameOf(c))}\`${who}${when}\n${diff}`);
  });
  const unshown = alert.changes.slice(SHOWN_DIFFS);
  if (unshown.length > 0) {
    const named = unshown
      .slice(0, NAMED_CHANGES)
      .map((c) => `${c.type.toLowerCase()} \`${escapeSlack(nameOf(c))}\``);
    const rest = unshown.length - named.length;
    changes.push(
      section(
        `…and ${unshown.length} more change(s) in the same burst, diffs not shown: ${named.join(', ')}${rest > 0 ? ` and ${rest} more` : ''}.`,
      ),
    );
  }
  // Blame by scope alone is said: some changes listed (and offered for revert) may have broken nothing.
  const unnarrowed = alert.unnarrowed
    ? [
        section(
          alert.unnarrowed === 'too-many'
            ? '_Blame not narrowed: too many changes could have broken these pairs to put each back on its own; every change whose scope covers a broken pair is listed._'
            : '_Blame not narrowed for some pairs: putting back any one change alone does not repair them (each may break them on its own, or they break them only together); every change whose scope covers such a pair is listed._',
        ),
      ]
    : [];
  const buttons = plans.slice(0, MAX_REVERT_BUTTONS);
  const pairs = sample.map(
    (p) => `• \`${escapeSlack(p.from)}\` → \`${escapeSlack(p.to)}\`: ${escapeSlack(p.symptom)}`,
  );
  const summary = `${alert.broken} client→service pair(s) that worked now fail`;
  return {
    text: `:rotating_light: A change to ${alert.changes.map(nameOf).join(', ')} broke mTLS calls: ${summary}`,
    blocks: [
      section(`:rotating_light: *A change broke mTLS calls*: ${summary}.`),
      ...changes,
      ...unnarrowed,
      section(
        pairs.length
          ? `*What callers see* (sample)\n${pairs.join('\n')}`
          : '_The failing pairs are in namespaces this channel may not see._',
      ),
      ...(buttons.length
        ? [
            {
              type: 'actions',
              block_id: 'change-alert',
              elements: buttons.map((plan, i) => ({
                type: 'button',
                action_id: `remediation:revert:${i}`,
                text: { type: 'plain_text', text: revertLabel(plan.target) },
                value: plan.id,
              })),
            },
          ]
        : []),
      ...(byHand.length
        ? [
            section(
              fitSection(
                `*Undo by hand* (the bot may not make these changes):\n${byHand
                  .slice(0, BY_HAND_COMMANDS)
                  .map(
                    (c) =>
                      `\`${escapeSlack(c.name)}\`${c.reason ? `: ${escapeSlack(c.reason)}` : ''}\n\`\`\`${escapeCode(c.kubectl)}\`\`\``,
                  )
                  .join(
                    '\n',
                  )}${byHand.length > BY_HAND_COMMANDS ? `\n…and ${byHand.length - BY_HAND_COMMANDS} more.` : ''}`,
              ),
            ),
          ]
        : []),
      ...(plans.length > buttons.length
        ? [
            section(
              `_Revert buttons for the first ${buttons.length} of ${plans.length} revertible changes; undo the others by hand._`,
            ),
          ]
        : []),
    ],
  };
}
