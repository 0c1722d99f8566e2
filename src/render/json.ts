// `check -o json` and `matrix -o json`: the public JSON contract of design.md §2 (fields only added).
import type { Finding } from '../analyzers/finding.js';
import type { Diagnosis } from '../engine/diagnose.js';
import type { MatrixResult } from '../engine/matrix.js';
import type { SourceInfo } from '../snapshot/source.js';
import { summarize } from './summary.js';

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
    related: f.related,
    namespaces: f.namespaces,
    remediations: f.remediations.map((r) => ({
      id: r.id,
      title: r.title,
      risk: r.risk,
      action: r.action,
      kubectl: r.kubectl,
    })),
  };
}

export function renderCheckJson(
  diagnosis: Diagnosis,
  timings: Record<string, number> = {},
  source?: SourceInfo,
): string {
  return `${JSON.stringify(
    {
      findings: diagnosis.findings.map(findingToJson),
      gaps: diagnosis.gaps,
      summary: { ...summarize(diagnosis, timings), ...(source ? { source } : {}) },
    },
    null,
    2,
  )}\n`;
}

export function renderMatrixJson(matrix: MatrixResult, gaps: Diagnosis['gaps']): string {
  const failing = matrix.pairs.filter((p) => p.outcome === 'fail').length;
  return `${JSON.stringify(
    {
      pairs: matrix.pairs,
      gaps,
      summary: { pairs: matrix.pairs.length, failing, skippedTargets: matrix.skippedTargets },
    },
    null,
    2,
  )}\n`;
}
