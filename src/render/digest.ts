// The posture digest as text, JSON and Block Kit. A digest read incompletely says so first, naming
// what could not be read, and says its changes were not compared rather than listing false ones.
import type { Comparison } from '../digest/baseline.js';
import type { Posture } from '../digest/posture.js';
import { type Block, escapeSlack, gapLines, LIMITS, type SlackMessage, section } from './blocks.js';
import { linesWithin } from './lines-within.js';
import { fitsOneMessage, splitIntoMessages } from './message-budget.js';
import { sanitizeDeep } from './sanitize.js';

export interface Digest extends Comparison {
  readonly posture: Posture;
}

export function renderDigestJson(digest: Digest): string {
  return `${JSON.stringify(digest, null, 2)}\n`;
}

const STAGE = {
  'add-sidecars': 'add sidecars',
  'switch-to-strict': 'ready for STRICT',
  strict: 'STRICT',
} as const;

export function renderDigestText(raw: Digest): string {
  const digest = sanitizeDeep(raw);
  const p = digest.posture;
  const gaps = p.gaps ?? [];
  const out = [`mTLS posture ${p.takenAt}: score ${p.score}/100, mesh-wide ${p.meshMode}`];
  if (gaps.length > 0) {
    out.push(`Incomplete: could not read ${gaps.map((g) => g.source).join(', ')}; ${MAY_BE_WRONG}:`);
    for (const gap of gaps) out.push(`  ? ${gap.source}: ${gap.reason}`);
  }
  out.push('');
  const width = Math.max(9, ...p.namespaces.map((n) => n.namespace.length));
  out.push(
    `${'NAMESPACE'.padEnd(width)}  MODE          NO PROXY  PLAINTEXT PORTS  ERRORS  STAGE             NEXT STEP`,
  );
  for (const n of p.namespaces) {
    out.push(
      `${n.namespace.padEnd(width)}  ${n.mode.padEnd(12)}  ${String(n.withoutProxy.length).padEnd(8)}  ${String(n.plaintextPorts.length).padEnd(15)}  ${String(n.errors).padEnd(6)}  ${STAGE[n.stage].padEnd(16)}  ${n.nextStep}`,
    );
  }
  if (digest.notCompared)
    out.push('', `Changes since ${digest.previousAt}: not compared: ${notComparedText(digest)}`);
  else if (digest.changes.length === 0)
    out.push('', `No changes since ${digest.previousAt ?? 'the last digest'}.`);
  else {
    out.push('', `Changes since ${digest.previousAt ?? 'the last digest'}:`);
    for (const c of digest.changes) out.push(`  - ${c.namespace ? `${c.namespace}: ` : ''}${c.what}`);
  }
  return `${out.join('\n')}\n`;
}

const MAY_BE_WRONG = 'the modes, score and steps below come from the rest and may be wrong';

function notComparedText(digest: Digest): string {
  return `${digest.notCompared}. The digest of ${digest.previousAt} stays the baseline.`;
}

/**
 * Summary in the channel; the per-namespace detail goes to the thread when it is long or would not fit
 * beside the summary, in as many messages as Slack's block budget needs.
 */
export function digestMessage(digest: Digest): SlackMessage {
  const p = digest.posture;
  const gaps = p.gaps ?? [];
  const title = `mTLS posture digest${gaps.length > 0 ? ' (incomplete)' : ''}: score ${p.score}/100, mesh-wide ${p.meshMode}`;
  const counts = (stage: string) => p.namespaces.filter((n) => n.stage === stage).length;
  const head: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150) } },
    ...(gaps.length > 0
      ? [
          {
            type: 'section',
            text: {
              type: 'mrkdwn',
              text: `:grey_question: *Incomplete: could not read* (${MAY_BE_WRONG}):\n${gapLines(gaps)}`,
            },
          },
        ]
      : []),
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*${counts('strict')}* namespaces STRICT · *${counts('switch-to-strict')}* ready to switch · *${counts('add-sidecars')}* need sidecars · *${p.namespaces.reduce((a, n) => a + n.errors, 0)}* errors open`,
      },
    },
    section(sinceText(digest)),
  ];
  const lines = p.namespaces.map(
    (n) =>
      `• \`${escapeSlack(n.namespace)}\` ${n.mode}, ${n.withoutProxy.length} without proxy, ${n.plaintextPorts.length} plaintext ports, ${n.errors} errors: _${escapeSlack(n.nextStep)}_`,
  );
  const chunks: string[] = [];
  for (const line of lines) {
    const last = chunks[chunks.length - 1];
    if (last !== undefined && last.length + line.length + 1 <= 2900)
      chunks[chunks.length - 1] = `${last}\n${line}`;
    else chunks.push(line);
  }
  const detail: Block[] = chunks.map((text) => ({ type: 'section', text: { type: 'mrkdwn', text } }));
  const whole = [...head, ...detail];
  if (detail.length <= 3 && fitsOneMessage(whole)) return { text: title, blocks: whole, thread: [] };
  const thread = splitIntoMessages(detail).map((blocks) => ({ text: `${title} (namespaces)`, blocks }));
  return {
    text: title,
    blocks: [
      ...head,
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: ':thread: Per-namespace detail in the thread.' }],
      },
    ],
    thread,
  };
}

function sinceText(digest: Digest): string {
  const since = `*Since ${escapeSlack(digest.previousAt ?? 'the last digest')}:*`;
  if (digest.notCompared) return `${since} not compared: ${escapeSlack(notComparedText(digest))}`;
  if (digest.changes.length === 0)
    return `*No changes since ${escapeSlack(digest.previousAt ?? 'the last digest')}.*`;
  // Protection lost is listed first, so a section's cut never hides it behind routine changes.
  const ordered = [
    ...digest.changes.filter((c) => c.regression),
    ...digest.changes.filter((c) => !c.regression),
  ];
  const lines = ordered.map(
    (c) =>
      `• ${c.regression ? ':warning: ' : ''}${c.namespace ? `\`${escapeSlack(c.namespace)}\`: ` : ''}${escapeSlack(c.what)}`,
  );
  const more = (left: number) => `…and ${left} more change${left === 1 ? '' : 's'}`;
  return `${since}\n${linesWithin(lines, LIMITS.sectionText - since.length - 1, more)}`;
}
