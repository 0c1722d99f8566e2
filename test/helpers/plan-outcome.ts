// A plan carried out on the manifests it was offered for, and what that does to the calls as impact()
// judges it (what `diff --base` and a fix request show): objects a plan creates are added, its merge
// patches applied to the object they name. A restart changes no manifest: a workload's proxy is worked
// out from its template's labels and its namespace's anyway.
import { parseAllDocuments, stringify } from 'yaml';
import { impact } from '../../src/engine/impact.js';
import { applyMergePatch } from '../../src/remediation/merge-patch.js';
import type { RemediationPlan } from '../../src/remediation/plans.js';
import { snapshotOf } from './mesh.js';

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

/** The calls the plans break and repair, as "from -> to". */
export function callsChangedBy(yaml: string, plans: readonly RemediationPlan[]) {
  const result = impact(snapshotOf(yaml), snapshotOf(withPlans(yaml, plans)));
  const calls = (list: typeof result.broken) => list.map((p) => `${p.from} -> ${p.to}`).sort();
  return { repaired: calls(result.repaired), broken: calls(result.broken) };
}
