// What the bot answers to each `/mtls` command, as a Slack message: the engine and the renderers,
// no Slack client here (listeners post what this returns).
import { caCertificates } from '../analyzers/ca-certificates.js';
import { workloadCertificates } from '../analyzers/workload-certificates.js';
import { collectWorkloadCertificates } from '../certs/collect-workload-certs.js';
import { blockingGaps, type Diagnosis, diagnose, knownNamespaces } from '../engine/diagnose.js';
import { buildMatrix, type MatrixPair } from '../engine/matrix.js';
import { type Block, diagnosisMessage, escapeSlack, type SlackMessage } from '../render/blocks.js';
import { certificateRows, certificatesInScope } from '../render/certs.js';
import type { Picture } from '../render/pictures/picture.js';
import { summarize } from '../render/summary.js';
import type { LoadedSource } from '../snapshot/source.js';
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
  readonly verdict: 'problems-found' | 'no-problems-found' | 'incomplete' | 'unknown-namespace';
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
  if (!knownNamespaces(loaded.snapshot).has(ns)) {
    const where = loaded.source.kind === 'cluster' ? 'the cluster' : 'the mesh I read';
    return {
      message: plain(`:grey_question: Namespace \`${escapeSlack(ns)}\` does not exist in ${where}.`),
      verdict: 'unknown-namespace',
      findings: [],
      gaps: [],
    };
  }
  const now = deps.now?.() ?? new Date();
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
    const message = diagnosisMessage(diagnosis, { title: `Certificates in ${ns}`, timings });
    const lines = rows.map((r) =>
      r.error
        ? `• \`${escapeSlack(`${r.owner.namespace}/${r.owner.name}`)}\` ${r.key}: ${escapeSlack(r.error)}`
        : `• \`${escapeSlack(`${r.owner.namespace}/${r.owner.name}`)}\` ${r.key}: ${escapeSlack(r.subject ?? '')}${r.spiffeIds?.length ? ` (${escapeSlack(r.spiffeIds.join(', '))})` : ''}, ${(r.daysLeft ?? 0) > 0 ? `${r.daysLeft} days left` : '*expired*'}`,
    );
    const list: Block = {
      type: 'section',
      text: { type: 'mrkdwn', text: (lines.join('\n') || 'No certificates in scope.').slice(0, 3000) },
    };
    deps.plans.remember(diagnosis.findings.flatMap((f) => f.remediations));
    return describe(diagnosis, {
      ...message,
      blocks: [...message.blocks.slice(0, 2), list, ...message.blocks.slice(2)].slice(0, 50),
    });
  }
  const diagnosis = diagnose(loaded.snapshot, {
    namespace: ns,
    now,
    analyzers: command.kind === 'matrix' ? [] : undefined,
  });
  const pairs = buildMatrix(diagnosis.mesh, ns).pairs;
  const failingPairs = pairs.filter((p) => p.outcome === 'fail');
  deps.plans.remember(diagnosis.findings.flatMap((f) => f.remediations));
  const picture = command.kind === 'matrix' ? await matrixPicture(pairs, ns) : {};
  const answered = describe(
    diagnosis,
    diagnosisMessage(diagnosis, {
      title: command.kind === 'matrix' ? `Connectivity of ${ns}` : `mTLS check of ${ns}`,
      failingPairs,
      timings: { ...timings, resolve: diagnosis.timings.resolveMs, analyze: diagnosis.timings.analyzeMs },
    }),
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

function describe(diagnosis: Diagnosis, message: SlackMessage): Answer {
  return {
    message,
    verdict: summarize(diagnosis).verdict,
    findings: diagnosis.findings.map((f) => ({ code: f.code, severity: f.severity })),
    gaps: blockingGaps(diagnosis).map((g) => g.source),
  };
}

function plain(mrkdwn: string): SlackMessage {
  return { text: mrkdwn, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: mrkdwn } }], thread: [] };
}
