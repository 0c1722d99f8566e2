// `check -o json` and `matrix -o json`: the public JSON contract of design.md §2 (fields only added).
import type { Finding } from '../analyzers/finding.js';
import type { Diagnosis } from '../engine/diagnose.js';
import type { MatrixPair, MatrixResult } from '../engine/matrix.js';
import type { SourceInfo } from '../snapshot/source.js';
import { summarize } from './summary.js';

/** Longest per-finding list written out; the rest is counted, so output grows with findings, not pairs. */
export const LIST_CAP = 50;

function capped<K extends string, T>(key: K, list: readonly T[]) {
  if (list.length <= LIST_CAP) return { [key]: list } as Record<K, readonly T[]>;
  return { [key]: list.slice(0, LIST_CAP), [`${key}Omitted`]: list.length - LIST_CAP } as Record<
    K,
    readonly T[]
  > &
    Record<`${K}Omitted`, number>;
}

export function findingToJson(f: Finding) {
  return {
    code: f.code,
    severity: f.severity,
    title: f.title,
    message: f.message,
    why: f.why,
    fix: f.fix,
    resource: f.resource,
    ...(f.path ? { path: f.path } : {}),
    ...(f.location ? { location: f.location } : {}),
    ...capped('related', f.related),
    ...capped('namespaces', f.namespaces),
    remediations: f.remediations.map((r) => ({
      id: r.id,
      title: r.title,
      risk: r.risk,
      action: r.action,
      kubectl: r.kubectl,
    })),
  };
}

/**
 * `check -o json` in pieces of about `chunkFindings` findings: the same text as JSON.stringify(…, null, 2)
 * of the whole object, written without building it (or one string of it) at once.
 */
export function* renderCheckJsonChunks(
  diagnosis: Diagnosis,
  timings: Record<string, number> = {},
  source?: SourceInfo,
  chunkFindings = 200,
): Generator<string> {
  let count = 0;
  let chunk = '{\n  "findings": [';
  for (const f of diagnosis.findings) {
    const text = JSON.stringify(findingToJson(f), null, 2).replaceAll('\n', '\n    ');
    chunk += `${count === 0 ? '' : ','}\n    ${text}`;
    if (++count % chunkFindings === 0) {
      yield chunk;
      chunk = '';
    }
  }
  chunk += count === 0 ? '],\n' : '\n  ],\n';
  const rest = JSON.stringify(
    {
      gaps: diagnosis.gaps,
      summary: { ...summarize(diagnosis, timings), ...(source ? { source } : {}) },
    },
    null,
    2,
  );
  yield `${chunk}${rest.slice(2)}\n`;
}

export function renderMatrixJson(matrix: MatrixResult, gaps: Diagnosis['gaps']): string {
  return [...renderMatrixJsonChunks(matrix.pairs, gaps, matrix.skippedTargets)].join('');
}

/**
 * `matrix -o json` in pieces of about `chunkPairs` pairs, the same text JSON.stringify(…, null, 2)
 * gives for the whole object, so output of any size is written without one huge string. The summary
 * comes last: `skippedTargets` is read after every pair was taken.
 */
export function* renderMatrixJsonChunks(
  pairs: Iterable<MatrixPair>,
  gaps: Diagnosis['gaps'],
  skippedTargets: readonly string[],
  chunkPairs = 2000,
): Generator<string> {
  let count = 0;
  let failing = 0;
  let chunk = '{\n  "pairs": [';
  for (const pair of pairs) {
    if (pair.outcome === 'fail') failing++;
    chunk += `${count === 0 ? '' : ','}\n    ${JSON.stringify(pair, null, 2).replaceAll('\n', '\n    ')}`;
    if (++count % chunkPairs === 0) {
      yield chunk;
      chunk = '';
    }
  }
  chunk += count === 0 ? '],\n' : '\n  ],\n';
  const rest = JSON.stringify({ gaps, summary: { pairs: count, failing, skippedTargets } }, null, 2);
  yield `${chunk}${rest.slice(2)}\n`;
}
