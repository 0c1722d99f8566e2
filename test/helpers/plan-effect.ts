// What an offered plan does to the calls, judged as `fix` and the bot judge it before anyone applies it:
// the object the plan would write (a new object, or the manifest's object as the live one with the
// patch the plan computes from it), put in place of the old one, and compared by the impact engine.
// Several plans together are carried out on the manifests instead (callsChangedByPlans).
import { parseAllDocuments, stringify } from 'yaml';
import { type ImpactResult, impact } from '../../src/engine/impact.js';
import { snapshotWith } from '../../src/impact/apply-object.js';
import { mergePatchFor } from '../../src/remediation/live-edit.js';
import { applyMergePatch } from '../../src/remediation/merge-patch.js';
import type { RemediationPlan } from '../../src/remediation/plans.js';
import { parseManifestText } from '../../src/snapshot/read-manifests.js';
import { snapshotOf } from './mesh.js';

type Obj = Record<string, unknown>;

/** The object `plan` writes when `yaml` is what the cluster holds. */
export function objectWrittenBy(plan: RemediationPlan, yaml: string): Obj {
  if (plan.action === 'create') return plan.body ?? {};
  const { kind, namespace, name } = plan.target;
  const live = parseManifestText(yaml, 'live.yaml')
    .map((raw) => raw.object as Obj)
    .find((o) => {
      const meta = o.metadata as { name?: string; namespace?: string } | undefined;
      return o.kind === kind && meta?.name === name && (meta?.namespace ?? 'default') === namespace;
    });
  if (!live) throw new Error(`${kind} ${namespace}/${name} is not in the input`);
  const patch = plan.edit ? mergePatchFor(plan.edit, live) : (plan.body ?? {});
  return applyMergePatch(live, patch) as Obj;
}

/** The calls the plan breaks and repairs (and the findings it opens and resolves). */
export function impactOfPlan(
  plan: RemediationPlan,
  yaml: string,
  now = new Date('2026-11-30T00:00:00Z'),
): ImpactResult {
  const before = snapshotOf(yaml);
  const after = snapshotWith(before, { object: objectWrittenBy(plan, yaml) });
  if (!after) throw new Error(`the impact of ${plan.id} is not computed`);
  return impact(before, after, { now });
}

/** `from -> to` of the pairs a plan repairs and breaks, for compact assertions. */
export function callsChangedBy(plan: RemediationPlan, yaml: string) {
  const result = impactOfPlan(plan, yaml);
  const pairs = (list: ImpactResult['broken']) => list.map((p) => `${p.from} -> ${p.to}`).sort();
  return { repaired: pairs(result.repaired), broken: pairs(result.broken), result };
}

type Doc = { kind?: string; metadata?: { name?: string; namespace?: string } };

export function withPlans(yaml: string, plans: readonly RemediationPlan[]): string {
  let docs = parseAllDocuments(yaml)
    .map((d) => d.toJS() as Doc | null)
    .filter((d): d is Doc => d !== null);
  for (const plan of plans) {
    if (plan.action === 'create') docs.push(plan.body as Doc);
    else if (plan.action === 'merge-patch') {
      if (!plan.body) throw new Error(`${plan.id}: a live edit is not modelled here`);
      const { kind, namespace, name } = plan.target;
      const named = (d: Doc) =>
        d.kind === kind &&
        d.metadata?.name === name &&
        (kind === 'Namespace' || (d.metadata?.namespace ?? 'default') === namespace);
      if (!docs.some(named)) throw new Error(`${plan.id}: no ${kind} ${namespace}/${name} in the input`);
      docs = docs.map((d) => (named(d) ? (applyMergePatch(d, plan.body) as Doc) : d));
    }
  }
  return docs.map((d) => `---\n${stringify(d)}`).join('');
}

/**
 * The calls several plans together break and repair, as "from -> to": carried out on the manifests
 * (objects created are added, merge patches applied to the object they name, a restart changes no
 * manifest: a workload's proxy is worked out from its template and its namespace anyway).
 */
export function callsChangedByPlans(yaml: string, plans: readonly RemediationPlan[]) {
  const result = impact(snapshotOf(yaml), snapshotOf(withPlans(yaml, plans)));
  const calls = (list: typeof result.broken) => list.map((p) => `${p.from} -> ${p.to}`).sort();
  return { repaired: calls(result.repaired), broken: calls(result.broken) };
}
