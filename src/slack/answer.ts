// What the bot answers to each `/mtls` command, as a Slack message: the engine and the renderers,
// no Slack client here (listeners post what this returns).
import { caCertificates } from '../analyzers/ca-certificates.js';
import { workloadCertificates } from '../analyzers/workload-certificates.js';
import { collectWorkloadCertificates } from '../certs/collect-workload-certs.js';
import {
  blockingGaps,
  type Diagnosis,
  diagnose,
  diagnoseShared,
  knownNamespaces,
} from '../engine/diagnose.js';
import { impact } from '../engine/impact.js';
import { buildMatrix, failingPairs, type MatrixPair } from '../engine/matrix.js';
import { avoidancePlan } from '../impact/avoid-breakage.js';
import { applyWhatIf, describeWhatIf, isPolicyWhatIf, whatIfUnknownHost } from '../impact/what-if.js';
import {
  type Block,
  diagnosisMessage,
  escapeSlack,
  gapLines,
  type SlackMessage,
  section,
} from '../render/blocks.js';
import { certificateRows, certificatesInScope } from '../render/certs.js';
import { impactSummaryLines } from '../render/diff-summary.js';
import type { Picture } from '../render/pictures/picture.js';
import { summarize, type Verdict, verdictFor } from '../render/summary.js';
import type { LoadedSource } from '../snapshot/source.js';
import type { MeshSnapshot } from '../snapshot/types.js';
import type { MtlsCommand } from './grammar.js';
import type { PlanCache } from './plan-cache.js';

export interface AnswerDeps {
  readonly load: () => Promise<LoadedSource>;
  readonly plans: PlanCache;
  readonly istioctl?: string;
  readonly now?: () => Date;
}

/** The message plus what metrics and logs need to know about it. */
export interface Answer {
  readonly message: SlackMessage;
  readonly verdict:
    | 'problems-found'
    | 'no-problems-found'
    | 'incomplete'
    | 'unknown-namespace'
    | 'unknown-host';
  readonly findings: readonly { readonly code: string; readonly severity: string }[];
  /** Sources of the gaps that left the check incomplete. */
  readonly gaps: readonly string[];
  /** `matrix`: the heat map to post beside the text (or why it could not be drawn). */
  readonly picture?: Picture;
  readonly pictureError?: string;
}

export async function answer(
  command: Exclude<MtlsCommand, { kind: 'help' | 'digest' }>,
  deps: AnswerDeps,
): Promise<Answer> {
  const loaded = await deps.load();
  const ns = command.namespace;
  const now = deps.now?.() ?? new Date();
  if (ns !== undefined && !knownNamespaces(loaded.snapshot).has(ns)) return unknownNamespace(loaded, ns);
  if (command.kind === 'whatif') return whatIfAnswer(loaded.snapshot, command, now);
  if (ns === undefined) throw new Error(`${command.kind} needs a namespace`);
  const timings = { read: loaded.readMs };
  if (command.kind === 'certs') {
    const snapshot =
      loaded.source.kind === 'cluster'
        ? await collectWorkloadCertificates(loaded.snapshot, deps.istioctl, {
            namespace: ns,
            pod: command.pod,
          })
        : loaded.snapshot;
    const diagnosis = diagnose(snapshot, {
      namespace: ns,
      now,
      analyzers: [caCertificates, workloadCertificates],
    });
    const rows = certificateRows(certificatesInScope(snapshot.certificates, ns, command.pod), now);
    const lines = rows.map((r) =>
      r.error
        ? `• \`${escapeSlack(`${r.owner.namespace}/${r.owner.name}`)}\` ${r.key}: ${escapeSlack(r.error)}`
        : `• \`${escapeSlack(`${r.owner.namespace}/${r.owner.name}`)}\` ${r.key}: ${escapeSlack(r.subject ?? '')}${r.spiffeIds?.length ? ` (${escapeSlack(r.spiffeIds.join(', '))})` : ''}, ${(r.daysLeft ?? 0) > 0 ? `${r.daysLeft} days left` : '*expired*'}`,
    );
    const list = section(lines.join('\n') || 'No certificates in scope.');
    deps.plans.remember(diagnosis.findings.flatMap((f) => f.remediations));
    return describe(
      diagnosis,
      diagnosisMessage(diagnosis, { title: `Certificates in ${ns}`, timings, details: list }),
    );
  }
  const shared = diagnoseShared(loaded.snapshot, ns, now);
  // The matrix answer is about connectivity only, as `mtls-doctor matrix` is.
  const diagnosis = command.kind === 'matrix' ? { ...shared, findings: [] } : shared;
  // The matrix answer draws every pair; a check lists only the failing ones, judged per client group.
  const pairs = command.kind === 'matrix' ? buildMatrix(diagnosis.mesh, ns).pairs : undefined;
  const failing: MatrixPair[] = pairs
    ? pairs.filter((p) => p.outcome === 'fail')
    : failingPairs(diagnosis.mesh, ns);
  deps.plans.remember(diagnosis.findings.flatMap((f) => f.remediations));
  const picture = pairs ? await matrixPicture(pairs, ns) : {};
  const answered = describe(
    diagnosis,
    diagnosisMessage(diagnosis, {
      title: command.kind === 'matrix' ? `Connectivity of ${ns}` : `mTLS check of ${ns}`,
      failingPairs: failing,
      matrix: pairs ? { calls: pairs.length } : undefined,
      timings: { ...timings, resolve: diagnosis.timings.resolveMs, analyze: diagnosis.timings.analyzeMs },
    }),
    // A matrix has no findings: its failing calls are its problems.
    pairs ? verdictFor(failing.length, diagnosis) : undefined,
  );
  return { ...answered, ...picture };
}

// The drawing libraries load only when a matrix is asked for; a drawing failure leaves the text answer.
async function matrixPicture(
  pairs: readonly MatrixPair[],
  ns: string,
): Promise<Pick<Answer, 'picture' | 'pictureError'>> {
  try {
    const { renderMatrixPicture } = await import('../render/pictures/matrix-heatmap.js');
    const drawn = await renderMatrixPicture(pairs, {
      title: `Connectivity of ${ns}`,
      filename: `mtls-matrix-${ns}.png`,
    });
    const { png, width, height, alt, title, filename } = drawn;
    return { picture: { png, width, height, alt, title, filename } };
  } catch (error) {
    return { pictureError: (error as Error).message };
  }
}

/**
 * `/mtls whatif`: the calls a change (a PeerAuthentication mode, auto mTLS, a host's DestinationRule TLS)
 * would break and repair, computed on the current snapshot without changing anything; for a mode, the
 * plan that avoids the breakage.
 */
function whatIfAnswer(
  snapshot: MeshSnapshot,
  command: Extract<MtlsCommand, { kind: 'whatif' }>,
  now: Date,
): Answer {
  const change = command.change;
  const unknownHost = whatIfUnknownHost(snapshot, change);
  if (unknownHost)
    return {
      message: plain(`:grey_question: Nothing to work out: ${escapeSlack(unknownHost)}.`),
      verdict: 'unknown-host',
      findings: [],
      gaps: [],
    };
  const before = diagnoseShared(snapshot, undefined, now);
  const result = impact(snapshot, applyWhatIf(snapshot, change), { beforeDiagnosis: before, now });
  const title = describeWhatIf(change);
  const lines = impactSummaryLines(result, { examples: 3 }).map(escapeSlack);
  const broken = result.broken
    .slice(0, 15)
    .map(
      (p) =>
        `• \`${escapeSlack(p.from)}\` → \`${escapeSlack(p.to)}\`: ${escapeSlack(p.symptom)} (${escapeSlack(p.reason)})`,
    );
  const more =
    result.counts.broken > broken.length ? `\n…and ${result.counts.broken - broken.length} more` : '';
  const plan = isPolicyWhatIf(change) ? avoidancePlan(result.broken, title, result.counts.broken) : undefined;
  const gaps = blockingGaps(before);
  const blocks: Block[] = [
    section(
      `${result.counts.broken > 0 ? ':red_circle:' : gaps.length > 0 ? ':warning:' : ':large_green_circle:'} *What if ${escapeSlack(title)}?* Nothing was changed.${gaps.length > 0 ? ' Computed on an incomplete view: what could not be read is below.' : ''}\n${lines.join('\n')}`,
    ),
  ];
  if (broken.length) blocks.push(section(`*Would break*\n${broken.join('\n')}${more}`));
  if (plan) blocks.push(section(`*To avoid it*\n${plan.steps.map((s) => `• ${escapeSlack(s)}`).join('\n')}`));
  if (gaps.length)
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `Incomplete: ${escapeSlack(gaps.map((g) => g.source).join(', '))} could not be read.`.slice(
            0,
            2000,
          ),
        },
      ],
    });
  return {
    message: { text: `What if ${title}: ${lines[0] ?? ''}`, blocks, thread: [] },
    verdict: gaps.length ? 'incomplete' : result.counts.broken > 0 ? 'problems-found' : 'no-problems-found',
    findings: [],
    gaps: gaps.map((g) => g.source),
  };
}

/**
 * The answer about a namespace the snapshot does not have: it does not exist only if everything was
 * read. Any gap in the core read (a list forbidden, a watch not synced yet or stale) may be where it
 * is, so then it is unconfirmed, with the gaps listed.
 */
export function unknownNamespace(loaded: LoadedSource, ns: string): Answer {
  const where = loaded.source.kind === 'cluster' ? 'the cluster' : 'the mesh I read';
  const gaps = blockingGaps(loaded.snapshot);
  if (gaps.length === 0)
    return {
      message: plain(`:grey_question: Namespace \`${escapeSlack(ns)}\` does not exist in ${where}.`),
      verdict: 'unknown-namespace',
      findings: [],
      gaps: [],
    };
  return {
    message: plain(
      `:grey_question: Could not confirm namespace \`${escapeSlack(ns)}\`: it is not in what I could read of ${where}, and what I could not read may hold it.\n${gapLines(gaps)}`,
    ),
    verdict: 'incomplete',
    findings: [],
    gaps: gaps.map((g) => g.source),
  };
}

function describe(
  diagnosis: Diagnosis,
  message: SlackMessage,
  verdict: Verdict = summarize(diagnosis).verdict,
): Answer {
  return {
    message,
    verdict,
    findings: diagnosis.findings.map((f) => ({ code: f.code, severity: f.severity })),
    gaps: blockingGaps(diagnosis).map((g) => g.source),
  };
}

/** A message of one section. */
export function plain(mrkdwn: string): SlackMessage {
  return { text: mrkdwn, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: mrkdwn } }], thread: [] };
}
