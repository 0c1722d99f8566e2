// The fix for calls that sidecars send as plaintext because they ignore the credentialName of the
// rule they use (SIMPLE/MUTUAL in a rule without workloadSelector): that rule's own TLS for the calling
// workloads, in a rule of their namespace with a workloadSelector (credential-rule-plan.ts): a copy of
// the rule's whole traffic policy, one per caller whatever port fails, as a workload uses one
// workloadSelector rule per host. Not a
// downgrade to SIMPLE: a server that asks for the client certificate of MUTUAL rejects it, and SIMPLE
// without the credential trusts the system CAs instead of the credential's.
import { TOP_LEVEL_TLS } from '../mesh/destination-rules.js';
import { createCredentialRule } from '../remediation/credential-rule-plan.js';
import type { RemediationPlan } from '../remediation/plans.js';
import type { Labels, Workload } from '../snapshot/types.js';
import { type Failure, workloadName } from './connectivity-failures.js';
import { ruleOf } from './explain.js';

// One rule per calling workload (a selector selects one app), a few at most.
const MAX_CLIENTS = 3;

/** The plans and words for failing calls of one rule whose credentialName sidecars ignore. */
export function credentialRemedy(failures: readonly Failure[]): { plans: RemediationPlan[]; fix: string } {
  const first = failures[0] as Failure;
  const merged = first.outcome.rule?.rule;
  const resolved = first.outcome.resolvedTls;
  const tls = resolved?.tls;
  const trafficPolicy = merged?.trafficPolicy;
  if (!merged || !resolved || !tls || !trafficPolicy) return { plans: [], fix: '' };
  const rule = ruleOf(merged);
  const name = `${rule.meta.namespace}/${rule.meta.name}`;
  const subset = !isRulePolicy(resolved.path);
  const plans: RemediationPlan[] = [];
  // A subset's tls is not copied: the subset's clusters come from the rule that defines it.
  if (!subset)
    for (const w of callers(failures)) {
      const selector = selectorOf(w);
      if (!selector) continue;
      const clients = workloadName(w);
      plans.push(
        createCredentialRule({
          rule,
          host: merged.host,
          tls,
          trafficPolicy,
          namespace: w.meta.namespace,
          selector,
          clients,
        }),
      );
    }
  const server =
    tls.mode === 'MUTUAL'
      ? 'the server asks for the client certificate in it, so SIMPLE would still be rejected'
      : "the server is checked against that credential's CA";
  return {
    plans: plans.filter((p, i) => plans.findIndex((o) => o.id === p.id) === i),
    fix: `Sidecars ignore credentialName ${tls.credentialName} of DestinationRule ${name}, which has no workloadSelector, and send plaintext; ${server}. Give the calling workloads a copy of its traffic policy (every port's tls) with a workloadSelector in their own namespace (Istio 1.14 or later honours credentialName there; the Secret must be in that namespace), or send the calls through an egress gateway, which uses credentialName as it is.`,
  };
}

/** The rule's own traffic policy (top-level or a port entry), not a subset's. */
function isRulePolicy(path: string): boolean {
  return path === TOP_LEVEL_TLS || path.startsWith('spec.trafficPolicy.portLevelSettings[');
}

function callers(failures: readonly Failure[]): Workload[] {
  const found = new Set<Workload>();
  for (const f of failures) {
    if (f.group.hypothetical) continue;
    for (const w of f.group.sample(MAX_CLIENTS)) if (found.size < MAX_CLIENTS) found.add(w);
  }
  return [...found];
}

/** The app label that names a workload, else all its pod labels; undefined when it has none. */
function selectorOf(w: Workload): Labels | undefined {
  for (const key of ['app', 'app.kubernetes.io/name']) {
    const value = w.podLabels[key];
    if (value !== undefined) return { [key]: value };
  }
  return Object.keys(w.podLabels).length > 0 ? { ...w.podLabels } : undefined;
}
