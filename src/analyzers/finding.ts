import type { ResolvedMesh } from '../mesh/resolve.js';
import type { RemediationPlan } from '../remediation/plans.js';
import type { Ref, SourceLocation } from '../snapshot/types.js';
import { CATALOGUE, type FindingCode, type Severity } from './catalogue.js';

export interface Finding {
  readonly code: FindingCode;
  readonly severity: Severity;
  readonly title: string;
  /** What breaks, for whom, with which symptom. */
  readonly message: string;
  /** Why: the objects that won and the precedence rule that made them win, one line each. */
  readonly why: readonly string[];
  /** The fix in plain words; `remediations` hold the exact changes. */
  readonly fix: string;
  readonly resource: Ref;
  readonly location?: SourceLocation;
  /** Field inside the resource (`spec.trafficPolicy.tls.mode`), as Kiali's checkers point at it. */
  readonly path?: string;
  readonly related: readonly Ref[];
  /** Namespaces the finding concerns (the resource's, and those of affected clients and servers). */
  readonly namespaces: readonly string[];
  readonly remediations: readonly RemediationPlan[];
}

export interface AnalysisContext {
  readonly now: Date;
  /** Warn when a CA or root certificate expires within this many days. */
  readonly caExpiryWarningDays: number;
}

export interface Analyzer {
  /** Codes this analyzer may emit. */
  readonly codes: readonly FindingCode[];
  readonly name: string;
  analyze(mesh: ResolvedMesh, context: AnalysisContext): Finding[];
}

type FindingInput = Omit<
  Finding,
  'severity' | 'title' | 'namespaces' | 'related' | 'why' | 'remediations'
> & {
  readonly severity?: Severity;
  readonly namespaces?: readonly string[];
  readonly related?: readonly Ref[];
  readonly why?: readonly string[];
  readonly remediations?: readonly RemediationPlan[];
};

/** Fills severity and title from the catalogue and the namespaces from the refs. */
export function finding(input: FindingInput): Finding {
  const info = CATALOGUE[input.code];
  const related = input.related ?? [];
  return {
    ...input,
    severity: input.severity ?? info.severity,
    title: info.title,
    related: dedupeRefs(related),
    why: input.why ?? [],
    namespaces: sortedNamespaces(input.namespaces ?? [], input.resource, related),
    remediations: dedupePlans(input.remediations ?? []),
  };
}

/** The given namespaces and the refs', sorted, each once (sorted first: a finding may list hundreds). */
function sortedNamespaces(given: readonly string[], resource: Ref, related: readonly Ref[]): string[] {
  const all = given.slice();
  if (resource.namespace) all.push(resource.namespace);
  for (const ref of related) if (ref.namespace) all.push(ref.namespace);
  all.sort();
  let kept = 0;
  for (let i = 0; i < all.length; i++)
    if (i === 0 || all[i] !== all[kept - 1]) all[kept++] = all[i] as string;
  all.length = kept;
  return all;
}

function dedupeRefs(refs: readonly Ref[]): Ref[] {
  const seen = new Set<string>();
  return refs.filter((r) => {
    const key = `${r.kind}/${r.namespace ?? ''}/${r.name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function dedupePlans(plans: readonly RemediationPlan[]): RemediationPlan[] {
  const seen = new Set<string>();
  return plans.filter((p) => {
    if (seen.has(p.id)) return false;
    seen.add(p.id);
    return true;
  });
}
