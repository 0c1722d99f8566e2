// One run of the engine: resolve the snapshot, run every analyzer, scope and order the findings.

import type { AnalysisContext, Analyzer, Finding } from '../analyzers/finding.js';
import { ALL_ANALYZERS } from '../analyzers/index.js';
import { ResolvedMesh } from '../mesh/resolve.js';
import type { Gap, MeshSnapshot } from '../snapshot/types.js';

export interface DiagnoseOptions {
  /** Only findings that concern this namespace (and mesh-wide ones). */
  readonly namespace?: string;
  readonly now?: Date;
  readonly caExpiryWarningDays?: number;
  readonly analyzers?: readonly Analyzer[];
}

export interface Timings {
  resolveMs: number;
  analyzeMs: number;
}

export interface Diagnosis {
  readonly mesh: ResolvedMesh;
  readonly findings: readonly Finding[];
  readonly gaps: readonly Gap[];
  readonly namespace?: string;
  readonly timings: Timings;
  /** An analyzer that crashed: reported as a gap, never as "no problems". */
  readonly analyzerFailures: readonly { analyzer: string; error: string }[];
}

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

export function diagnose(snapshot: MeshSnapshot, options: DiagnoseOptions = {}): Diagnosis {
  const started = performance.now();
  const mesh = new ResolvedMesh(snapshot);
  const resolved = performance.now();
  const context: AnalysisContext = {
    now: options.now ?? new Date(),
    caExpiryWarningDays: options.caExpiryWarningDays ?? 7,
  };
  const findings: Finding[] = [];
  const analyzerFailures: { analyzer: string; error: string }[] = [];
  for (const analyzer of options.analyzers ?? ALL_ANALYZERS) {
    try {
      findings.push(...analyzer.analyze(mesh, context));
    } catch (error) {
      analyzerFailures.push({ analyzer: analyzer.name, error: (error as Error).stack ?? String(error) });
    }
  }
  const scoped = options.namespace
    ? findings.filter((f) => inScope(f, options.namespace as string))
    : findings;
  scoped.sort(compareFindings);
  const gaps: Gap[] = [
    ...snapshot.gaps,
    ...analyzerFailures.map((f) => ({
      source: `analyzer ${f.analyzer}`,
      reason: `crashed: ${f.error.split('\n')[0]}`,
    })),
  ];
  const diagnosis: Diagnosis = {
    mesh,
    findings: eachPlanOnce(scoped),
    gaps,
    namespace: options.namespace,
    timings: { resolveMs: resolved - started, analyzeMs: performance.now() - resolved },
    analyzerFailures,
  };
  offeredFindings.set(diagnosis, scoped);
  return diagnosis;
}

// The findings of a diagnosis with every plan each offers, for a narrower view that lists a plan under
// a finding the wider view had listed it under another.
const offeredFindings = new WeakMap<Diagnosis, readonly Finding[]>();

/**
 * Each plan listed once, under the first finding (in the order they are shown, errors first) that
 * offers it: injecting a workload fixes both its failing calls and its unenforced STRICT, and one
 * change is one button.
 */
function eachPlanOnce(findings: readonly Finding[]): Finding[] {
  const listed = new Set<string>();
  return findings.map((f) => {
    const kept = f.remediations.filter((p) => {
      if (listed.has(p.id)) return false;
      listed.add(p.id);
      return true;
    });
    return kept.length === f.remediations.length ? f : { ...f, remediations: kept };
  });
}

// One whole-mesh diagnosis per snapshot, however many commands (and namespaces) ask about it.
const diagnosisBySnapshot = new WeakMap<MeshSnapshot, Diagnosis>();

/**
 * The diagnosis of `namespace` (or the whole mesh) from the snapshot's one shared whole-mesh run: the
 * bot answers a burst of commands on one snapshot by scoping this, not by resolving the mesh again.
 * Certificate expiry is judged at the time of that run (the snapshot lives seconds, not days).
 */
export function diagnoseShared(snapshot: MeshSnapshot, namespace?: string, now?: Date): Diagnosis {
  let whole = diagnosisBySnapshot.get(snapshot);
  if (!whole) {
    whole = diagnose(snapshot, { now });
    diagnosisBySnapshot.set(snapshot, whole);
  }
  if (!namespace) return whole;
  const offered = offeredFindings.get(whole) ?? whole.findings;
  return { ...whole, namespace, findings: scopeAndSort(offered, namespace) };
}

function scopeAndSort(findings: readonly Finding[], namespace: string | undefined): Finding[] {
  const scoped = namespace ? findings.filter((f) => inScope(f, namespace)) : [...findings];
  return eachPlanOnce(scoped.sort(compareFindings));
}

/** Adds findings and gaps from outside the engine (istioctl), scoped and ordered like the rest. */
export function withAdditions(
  diagnosis: Diagnosis,
  findings: readonly Finding[],
  gaps: readonly Gap[],
): Diagnosis {
  return {
    ...diagnosis,
    findings: scopeAndSort([...diagnosis.findings, ...findings], diagnosis.namespace),
    gaps: [...diagnosis.gaps, ...gaps],
  };
}

function inScope(finding: Finding, namespace: string): boolean {
  return finding.namespaces.length === 0 || finding.namespaces.includes(namespace);
}

// What String.prototype.localeCompare uses without arguments, made once: localeCompare builds its
// collator on every call, which showed in the sort of a large mesh's findings.
const collator = new Intl.Collator();

function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
    collator.compare(a.code, b.code) ||
    collator.compare(
      `${a.resource.namespace}/${a.resource.name}`,
      `${b.resource.namespace}/${b.resource.name}`,
    )
  );
}

/** Every namespace the input mentions, for validating `-n`. */
export function knownNamespaces(snapshot: MeshSnapshot): Set<string> {
  return new Set([
    ...snapshot.namespaces.map((n) => n.name),
    ...snapshot.workloads.map((w) => w.meta.namespace),
    ...snapshot.services.map((s) => s.meta.namespace),
    ...snapshot.peerAuthentications.map((p) => p.meta.namespace),
    ...snapshot.destinationRules.map((d) => d.meta.namespace),
    ...snapshot.serviceEntries.map((s) => s.meta.namespace),
  ]);
}

/** Gaps that leave the core check incomplete (optional cross-checks such as istioctl do not). */
export function blockingGaps(diagnosis: Pick<Diagnosis, 'gaps'>): readonly Gap[] {
  return diagnosis.gaps.filter((g) => !g.optional);
}
