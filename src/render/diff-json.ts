// `diff -o json`: design.md §2 `{ broken: [pair], repaired: [pair], findings: { opened, resolved },
// changed: [resource] }` with pairs as in `matrix`; fields only added (before, causes, newFailing, plan, ...).
import type { ImpactResult, NewPair } from '../engine/impact.js';
import type { AvoidancePlan } from '../impact/avoid-breakage.js';
import type { ChangedObject } from '../impact/changed-objects.js';
import { impactGaps } from './diff-summary.js';
import { findingToJson } from './json.js';

export interface ImpactExtras {
  /** `--what-if` text, when the after-snapshot was built from it. */
  readonly whatIf?: string;
  readonly plan?: AvoidancePlan;
  /** What the reader of the result should know about the inputs (objects left out of the base). */
  readonly notes?: readonly string[];
}

function refJson(c: ChangedObject) {
  return {
    kind: c.kind,
    ...(c.namespace ? { namespace: c.namespace } : {}),
    name: c.name,
    ...(c.key ? { key: c.key } : {}),
    ...(c.role ? { role: c.role } : {}),
    ...(c.webhook ? { webhook: c.webhook } : {}),
    ...(c.revision !== undefined ? { revision: c.revision } : {}),
    change: c.change,
    ...(c.location ? { location: c.location } : {}),
  };
}

function pairJson<P extends NewPair>(p: P) {
  const { causes, ...pair } = p;
  return { ...pair, causes: causes.map(refJson) };
}

export function renderImpactJson(result: ImpactResult, extras: ImpactExtras = {}): string {
  return `${JSON.stringify(
    {
      broken: result.broken.map(pairJson),
      repaired: result.repaired.map(pairJson),
      newFailing: result.newFailing.map(pairJson),
      findings: {
        opened: result.findings.opened.map(findingToJson),
        resolved: result.findings.resolved.map(findingToJson),
        reworded: result.findings.reworded.map((r) => ({
          before: findingToJson(r.before),
          after: findingToJson(r.after),
        })),
      },
      changed: result.changed.map(refJson),
      counts: result.counts,
      pairsCompared: result.pairsCompared,
      ...(result.tooBroad ? { tooBroad: result.tooBroad } : {}),
      ...(extras.whatIf ? { whatIf: extras.whatIf } : {}),
      ...(extras.plan ? { plan: extras.plan } : {}),
      ...(extras.notes?.length ? { notes: extras.notes } : {}),
      gaps: impactGaps(result),
    },
    null,
    2,
  )}\n`;
}
