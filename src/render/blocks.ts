// Block Kit for Slack. Everything that comes from the cluster is escaped (&, <, >) so a name or label
// cannot mention @channel or forge a link; Slack's limits are respected (50 blocks a message, about
// 13,000 characters of blocks a message, 3,000 a section, 2,000 a button value, 255 an action_id) and
// long diagnoses continue in a thread.
import type { Finding } from '../analyzers/finding.js';
import { blockingGaps, type Diagnosis } from '../engine/diagnose.js';
import type { MatrixPair } from '../engine/matrix.js';
import { planKey } from '../remediation/plan-key.js';
import { formatRef, type Gap } from '../snapshot/types.js';
import { linesWithin } from './lines-within.js';
import { checkedObjects, type Summary, summarize, verdictFor } from './summary.js';

export interface Block {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface SlackMessage {
  /** Fallback text for notifications and screen readers. */
  readonly text: string;
  readonly blocks: Block[];
  /** Further messages, to post in the thread of the first. */
  readonly thread: { text: string; blocks: Block[] }[];
}

export const LIMITS = {
  blocks: 50,
  /**
   * Characters of JSON a message's blocks may hold: Slack refuses about 13,000 (msg_blocks_too_long,
   * below the documented 50 blocks; slackapi/bolt-js#2509), and does not say how it counts, so well under.
   */
  messageChars: 11_000,
  sectionText: 3000,
  buttonValue: 2000,
  actionId: 255,
  buttonText: 75,
  headerText: 150,
} as const;

const EMOJI = {
  error: ':red_circle:',
  warning: ':large_orange_circle:',
  info: ':large_blue_circle:',
} as const;

/** Slack's three control characters; everything from the cluster goes through this. */
export function escapeSlack(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/**
 * Text from the cluster for inside a code block: escaped, and with a zero-width space after each
 * backtick, so a ``` in an object (an annotation, a diff line) cannot close the block and format what
 * follows as the bot's own words.
 */
export function escapeCode(text: string): string {
  return escapeSlack(text).replaceAll('`', '`\u200b');
}

/**
 * Text from outside (a field manager, a quoted alert) as an inline code span: a backtick in it would end
 * the span and let the rest render as the bot's own formatting, so it becomes a look-alike (ˋ).
 */
export function inlineCode(text: string): string {
  return `\`${escapeSlack(text).replaceAll('`', '\u02cb')}\``;
}

/** Gaps as the diagnosis shows them, within a section's 3,000 characters. */
export function gapLines(gaps: readonly Gap[]): string {
  const lines = gaps.map((g) => `• ${escapeSlack(g.source)}: ${escapeSlack(g.reason)}`);
  return linesWithin(lines, 2500, (left) => `…and ${left} more`);
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * mrkdwn that fits a section: a longer text is cut at a line end, a code block it cuts is closed (an
 * open fence would swallow the rest of the message) and the cut is said, never silent.
 */
export function fitSection(mrkdwn: string, max: number = LIMITS.sectionText): string {
  if (mrkdwn.length <= max) return mrkdwn;
  const note = (rest: number) => `\n_… ${rest} more characters not shown_`;
  const room = max - note(mrkdwn.length).length - FENCE.length - 1;
  const lineEnd = mrkdwn.lastIndexOf('\n', room);
  const kept = mrkdwn.slice(0, safeCut(mrkdwn, lineEnd > room / 2 ? lineEnd : room));
  const open = kept.split(FENCE).length % 2 === 0;
  return `${kept}${open ? `\n${FENCE}` : ''}${note(mrkdwn.length - kept.length)}`;
}

/**
 * Where to cut escaped text at or before `at`: never inside an escape (`&amp;` `&lt;` `&gt;`: a cut
 * one shows as a stray "&am"), nor between the two halves of an emoji.
 */
export function safeCut(text: string, at: number): number {
  let cut = at;
  const partial = /&[a-z]{0,3}$/.exec(text.slice(Math.max(0, cut - 4), cut));
  if (partial) cut -= partial[0].length;
  const before = text.charCodeAt(cut - 1);
  if (before >= 0xd800 && before <= 0xdbff) cut--;
  return cut;
}

/** A Slack code block's fence. */
export const FENCE = '```';

export function section(mrkdwn: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: fitSection(mrkdwn) } };
}

function context(mrkdwn: string): Block {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(mrkdwn, LIMITS.sectionText) }] };
}

export interface DiagnosisMessageOptions {
  readonly title: string;
  readonly failingPairs?: readonly MatrixPair[];
  /** What the answer is about, shown before the findings (the certificates of `/mtls certs`). */
  readonly details?: Block;
  /** A connectivity answer, judged by its failing pairs out of `calls`, not by findings. */
  readonly matrix?: { readonly calls: number };
  readonly timings?: Record<string, number>;
}

export function diagnosisMessage(diagnosis: Diagnosis, options: DiagnosisMessageOptions): SlackMessage {
  const summary = summarize(diagnosis, options.timings);
  const { headline, icon } = verdictLine(diagnosis, summary, options);
  const head: Block[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: truncate(`${options.title}: ${headline}`, LIMITS.headerText),
        emoji: true,
      },
    },
    context(
      `${icon} ${checkedObjects(summary.checked, ['workloads', 'services', 'peerAuthentications', 'destinationRules', 'authorizationPolicies'])} · ${Object.entries(
        summary.timingsMs,
      )
        .map(([k, v]) => `${k} ${v} ms`)
        .join(', ')}`,
    ),
    // What could not be read qualifies everything below it, so it is never left to the thread.
    ...(diagnosis.gaps.length > 0 ? [gapsSection(diagnosis.gaps)] : []),
  ];
  const actionable = diagnosis.findings.filter((f) => f.severity !== 'info');
  const body: Block[][] = [
    ...(options.details ? [[options.details]] : []),
    ...actionable.map((f, index) => findingBlocks(f, index)),
  ];
  const infos = diagnosis.findings.filter((f) => f.severity === 'info');
  if (infos.length > 0) {
    body.push([
      section(
        `${EMOJI.info} *Posture* (${infos.length})\n${infos.map((f) => `• ${escapeSlack(f.message)}`).join('\n')}`,
      ),
    ]);
  }
  if (options.failingPairs?.length) {
    const lines = options.failingPairs
      .slice(0, 15)
      .map((p) => `• \`${escapeSlack(p.from)}\` → \`${escapeSlack(p.to)}\`: ${escapeSlack(p.reason)}`);
    const more =
      options.failingPairs.length > 15 ? `\n…and ${options.failingPairs.length - 15} more failing pairs` : '';
    body.push([
      section(
        `*Who cannot reach whom* (${options.failingPairs.length} failing pairs)\n${lines.join('\n')}${more}`,
      ),
    ]);
  }
  // The fallback text is mrkdwn (notifications), and a gap's source may come from a manifest.
  return paginate(escapeSlack(`${options.title}: ${headline}`), head, body);
}

/** The header's verdict and the icon beside the counts: from the findings, or a matrix's calls. */
function verdictLine(
  diagnosis: Diagnosis,
  summary: Summary,
  options: DiagnosisMessageOptions,
): { headline: string; icon: string } {
  const failing = options.failingPairs?.length ?? 0;
  const verdict = options.matrix ? verdictFor(failing, diagnosis) : summary.verdict;
  if (verdict === 'incomplete')
    return {
      headline: `Incomplete: ${options.matrix ? 'no call fails' : 'nothing found'} in what could be read (${summary.scope})`,
      icon: ':grey_question:',
    };
  if (verdict === 'no-problems-found')
    return {
      headline: options.matrix
        ? `No call fails in ${summary.scope} (${options.matrix.calls} checked)`
        : `No mTLS problems found in ${summary.scope}`,
      icon: ':white_check_mark:',
    };
  const found = options.matrix
    ? `${failing} of ${options.matrix.calls} calls fail in ${summary.scope}`
    : `${summary.errors} error(s), ${summary.warnings} warning(s) in ${summary.scope}`;
  return {
    headline: `${found}${incompleteNote(blockingGaps(diagnosis))}`,
    icon: options.matrix || summary.errors > 0 ? ':rotating_light:' : ':warning:',
  };
}

/** Problems found on a partial read: there may be more where it could not look. */
function incompleteNote(blocking: readonly Gap[]): string {
  const [first, ...rest] = blocking;
  if (!first) return '';
  return ` (incomplete: could not read ${first.source}${rest.length > 0 ? ` and ${rest.length} more` : ''})`;
}

function gapsSection(gaps: readonly Gap[]): Block {
  const blocking = blockingGaps({ gaps }).length > 0;
  const lines = gaps.map(
    (g) => `• ${escapeSlack(g.source)}: ${escapeSlack(g.reason)}${g.optional ? ' _(cross-check only)_' : ''}`,
  );
  return section(
    `:grey_question: *${blocking ? 'Could not check' : 'Not cross-checked'}*\n${lines.join('\n')}`,
  );
}

function findingBlocks(f: Finding, index: number): Block[] {
  const text = [
    `${EMOJI[f.severity]} *${f.code}* · ${escapeSlack(formatRef(f.resource))}`,
    escapeSlack(f.message),
    f.why.length ? `*Why:* ${escapeSlack(f.why.join(' '))}` : '',
    `*Fix:* ${escapeSlack(f.fix)}`,
  ]
    .filter(Boolean)
    .join('\n');
  const blocks: Block[] = [section(text)];
  const buttons = f.remediations.slice(0, 5).map((plan, planIndex) => ({
    type: 'button',
    text: { type: 'plain_text', text: truncate(plan.title, LIMITS.buttonText), emoji: false },
    action_id: truncate(`remediation:${index}:${planIndex}`, LIMITS.actionId),
    // The id and a digest of the plan: a click opens exactly the plan this message showed.
    value: truncate(planKey(plan), LIMITS.buttonValue),
  }));
  if (buttons.length > 0) blocks.push({ type: 'actions', block_id: `finding-${index}`, elements: buttons });
  return blocks;
}

/** The block_id of the note that a message continues in the thread. */
const CONTINUED = 'continued-in-thread';

/**
 * The message with `lead` (an introduction) before its first block, paginated again so the first
 * message still keeps to Slack's limits and says when it continues in the thread.
 */
export function withLead(message: SlackMessage, lead: Block): SlackMessage {
  const blocks = withoutThreadNote([message.blocks, ...message.thread.map((t) => t.blocks)].flat());
  return paginate(message.text, [lead], groupsOf(blocks));
}

/** The blocks without the first message's "Continued in the thread" note (paginate adds it). */
export function withoutThreadNote(blocks: readonly Block[]): Block[] {
  return blocks.filter((b) => b.block_id !== CONTINUED);
}

/** Blocks in the groups pagination keeps together: a finding's buttons stay with its section. */
function groupsOf(blocks: readonly Block[]): Block[][] {
  const groups: Block[][] = [];
  for (const block of blocks) {
    const last = groups[groups.length - 1];
    if (block.type === 'actions' && last) last.push(block);
    else groups.push([block]);
  }
  return groups;
}

// Keeps whole findings together; what does not fit in the first message goes to thread messages. A
// message ends before it would pass 50 blocks or its characters, with room kept for the note.
function paginate(text: string, head: Block[], body: Block[][]): SlackMessage {
  const note = (more: number): Block => ({
    ...context(`:thread: Continued in the thread (${more} more message${more > 1 ? 's' : ''}).`),
    block_id: CONTINUED,
  });
  const room = { blocks: LIMITS.blocks - 1, chars: LIMITS.messageChars - jsonLength([note(99)]) };
  const pages: Block[][] = [[...head]];
  // The current page's JSON length, kept as groups are added (not the whole page serialised again).
  let size = jsonLength(head);
  for (const group of body) {
    if (group.length === 0) continue;
    const blocks = jsonLength(group) - 2; // without the group's own brackets
    const page = pages[pages.length - 1] as Block[];
    const grown = page.length === 0 ? 2 + blocks : size + 1 + blocks;
    const fits = page.length + group.length <= room.blocks && grown <= room.chars;
    if (!fits && page.length > 0) {
      pages.push([...group]);
      size = 2 + blocks;
    } else {
      page.push(...group);
      size = grown;
    }
  }
  const [first, ...rest] = pages as [Block[], ...Block[][]];
  if (rest.length > 0) first.push(note(rest.length));
  return {
    text,
    blocks: first,
    thread: rest.map((blocks, i) => ({ text: `${text} (part ${i + 2})`, blocks })),
  };
}

/** How Slack is sent the blocks: their characters as JSON. */
function jsonLength(blocks: readonly Block[]): number {
  return JSON.stringify(blocks).length;
}
