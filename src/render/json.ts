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
      ...(r.appliedWith ? { appliedWith: r.appliedWith } : {}),
    })),
  };
}

/**
 * `{ "<key>": [items…], …tail }` in pieces of `chunkItems` items: the same text JSON.stringify(…, null, 2)
 * gives for the whole object, without building it (or one string of it) at once. `tail` is called
 * after the last item, with their count, so it may use what was counted on the way.
 */
function* streamedObject<T>(
  key: string,
  items: Iterable<T>,
  toJson: (item: T) => unknown,
  tail: (count: number) => Record<string, unknown>,
  chunkItems: number,
): Generator<string> {
  // Each piece is JSON.stringify of `{ key: [its items] }` with the wrapper cut off: the items come out
  // indented as in the whole object, without re-indenting each item's text.
  const head = `{\n  ${JSON.stringify(key)}: [`;
  const foot = '\n  ]\n}';
  let count = 0;
  let batch: unknown[] = [];
  let pending = head;
  const flush = (): string => {
    const text = JSON.stringify({ [key]: batch }, null, 2);
    const body = text.slice(head.length, text.length - foot.length);
    const out = `${pending}${count > batch.length ? ',' : ''}${body}`;
    pending = '';
    batch = [];
    return out;
  };
  for (const item of items) {
    batch.push(toJson(item));
    if (++count % chunkItems === 0) yield flush();
  }
  let chunk = batch.length > 0 ? flush() : pending;
  chunk += count === 0 ? '],\n' : '\n  ],\n';
  yield `${chunk}${JSON.stringify(tail(count), null, 2).slice(2)}\n`;
}

/** `check -o json` in pieces of about `chunkFindings` findings (see streamedObject). */
export function renderCheckJsonChunks(
  diagnosis: Diagnosis,
  timings: Record<string, number> = {},
  source?: SourceInfo,
  chunkFindings = 200,
): Generator<string> {
  return streamedObject(
    'findings',
    diagnosis.findings,
    findingToJson,
    () => ({
      gaps: diagnosis.gaps,
      summary: { ...summarize(diagnosis, timings), ...(source ? { source } : {}) },
    }),
    chunkFindings,
  );
}

export function renderMatrixJson(matrix: MatrixResult, gaps: Diagnosis['gaps']): string {
  return [...renderMatrixJsonChunks(matrix.pairs, gaps, matrix.skippedTargets)].join('');
}

/**
 * `matrix -o json` in pieces of about `chunkPairs` pairs (see streamedObject), so output of any size
 * is written without one huge string. The summary comes last: `skippedTargets` is read after every
 * pair was taken.
 */
export function renderMatrixJsonChunks(
  pairs: Iterable<MatrixPair>,
  gaps: Diagnosis['gaps'],
  skippedTargets: readonly string[],
  chunkPairs = 2000,
): Generator<string> {
  let failing = 0;
  const counted = (pair: MatrixPair) => {
    if (pair.outcome === 'fail') failing++;
    return pair;
  };
  return streamedObject(
    'pairs',
    pairs,
    counted,
    (count) => ({ gaps, summary: { pairs: count, failing, skippedTargets } }),
    chunkPairs,
  );
}
