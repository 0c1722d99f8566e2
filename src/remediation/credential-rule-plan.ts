// A rule that lets some sidecar clients use a DestinationRule's credentialName. Sidecars ignore
// SIMPLE/MUTUAL with credentialName in a rule without workloadSelector and send plaintext
// (cluster_tls.go buildUpstreamClusterTLSContext); since Istio 1.14 (#38324) a rule with one is
// honoured. Such a rule applies only to proxies of its own namespace (sidecar.go DestinationRule) and
// wins over the selector-less rule for the workloads it selects, so the copy goes into the clients'
// namespace and the clients that are not selected keep the rule they use now.
import { formatSelector } from '../mesh/selectors.js';
import type { ClientTlsSettings, DestinationRule, Labels, TrafficPolicy } from '../snapshot/types.js';
import { generatedName } from './object-names.js';
import { createCommand, DR_API, type RemediationPlan } from './plans.js';

export interface CredentialRuleInput {
  /** The rule whose credentialName sidecars ignore now. */
  readonly rule: DestinationRule;
  /** The host the copy is for (fully qualified: a short name would resolve in another namespace). */
  readonly host: string;
  /** The tls whose credentialName sidecars ignore (for the words). */
  readonly tls: ClientTlsSettings;
  /**
   * The traffic policy the clients use now, copied whole: the copy replaces the rule for every port
   * of the host (Istio takes one workloadSelector rule per workload and host), so each port entry is kept.
   */
  readonly trafficPolicy: TrafficPolicy;
  /** The clients' namespace and a selector of theirs, and what they are in words. */
  readonly namespace: string;
  readonly selector: Labels;
  readonly clients: string;
}

export function createCredentialRule(input: CredentialRuleInput): RemediationPlan {
  const { rule, host, namespace, selector } = input;
  const trafficPolicy = writtenPolicy(input.trafficPolicy);
  // Not the port: one rule per workload and host is used, so every failing port shares the copy.
  const identity = JSON.stringify([rule.meta.namespace, rule.meta.name, host, namespace, selector]);
  const name = generatedName(
    `${rule.meta.name}-${Object.values(selector).join('-')}`,
    'tls',
    identity,
    false,
  );
  const object = {
    apiVersion: DR_API,
    kind: 'DestinationRule',
    metadata: { name, namespace },
    spec: { host, workloadSelector: { matchLabels: { ...selector } }, trafficPolicy },
  };
  const secret = input.tls.credentialName;
  const original = `${rule.meta.namespace}/${rule.meta.name}`;
  return {
    id: `create-credential-dr:DestinationRule/${namespace}/${name}`,
    title: `Originate ${input.tls.mode} with credentialName ${secret} from ${input.clients}: DestinationRule ${namespace}/${name}, a copy of ${original}'s traffic policy (every port's tls) with a workloadSelector (${formatSelector(selector)})`,
    risk: `Only the workloads labelled ${formatSelector(selector)} in ${namespace} change: their sidecars use this rule for ${host} instead of ${original}. Secret ${secret} must be in ${namespace} and readable by their service account (istiod serves a sidecar a Secret of its own namespace only, when its service account may list Secrets there; Istio 1.14 or later). For them the new rule replaces ${original}'s whole traffic policy: the copy keeps its tls and load-balancer modes for every port; copy in its connection pool or outlier settings if it has any.`,
    action: 'create',
    target: { apiVersion: DR_API, kind: 'DestinationRule', namespace, name },
    body: object,
    kubectl: createCommand(object),
  };
}

/** The traffic policy as a manifest writes it; fields the snapshot left unset are not written. */
function writtenPolicy(policy: TrafficPolicy): Record<string, unknown> {
  const tlsOf = (tls: ClientTlsSettings | undefined) =>
    tls ? { tls: JSON.parse(JSON.stringify(tls)) as Record<string, unknown> } : {};
  const lbOf = (simple: string | undefined) => (simple ? { loadBalancer: { simple } } : {});
  const ports = policy.portLevelSettings.map((p) => ({
    port: { number: p.port },
    ...lbOf(p.loadBalancerSimple),
    ...tlsOf(p.tls),
  }));
  return {
    ...lbOf(policy.loadBalancerSimple),
    ...(ports.length > 0 ? { portLevelSettings: ports } : {}),
    ...tlsOf(policy.tls),
  };
}
