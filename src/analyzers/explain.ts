// Plain-words explanations shared by the analyzers: who decided a mode, which rule a client used.
import type { BackendOutcome, PairOutcome } from '../mesh/connectivity.js';
import type { DestinationRuleMatch, MergedDestinationRule } from '../mesh/destination-rules.js';
import type { ModeDecision } from '../mesh/server-mode.js';
import type { AuthorizationPolicy, DestinationRule, PeerAuthentication, Ref } from '../snapshot/types.js';
import { type Failure, targetName } from './connectivity-failures.js';

export function paRef(pa: PeerAuthentication): Ref {
  return { kind: 'PeerAuthentication', namespace: pa.meta.namespace, name: pa.meta.name };
}

export function drRef(rule: DestinationRule): Ref {
  return { kind: 'DestinationRule', namespace: rule.meta.namespace, name: rule.meta.name };
}

export function apRef(policy: AuthorizationPolicy): Ref {
  return { kind: 'AuthorizationPolicy', namespace: policy.meta.namespace, name: policy.meta.name };
}

/** `shop/deny-legacy` */
export function apName(policy: AuthorizationPolicy): string {
  return `${policy.meta.namespace}/${policy.meta.name}`;
}

/** The field a rule path names, as the manifest spells it (`source.principals`, `when[0]`). */
export function ruleFieldOf(path: string): string {
  return path.replace(/^spec\.rules\[\d+\]\./, '').replace(/^(from|to)\[\d+\]\./, '');
}

/** The rule that supplied the traffic policy of a merged rule (the oldest with one). */
export function ruleOf(merged: MergedDestinationRule): DestinationRule {
  return merged.trafficPolicyFrom ?? (merged.rules[0] as DestinationRule);
}

const LEVEL_WORDS: Record<ModeDecision['level'], string> = {
  default: "no PeerAuthentication sets a mode, so Istio's default",
  mesh: 'mesh-wide',
  namespace: 'namespace-wide',
  workload: 'workload-level (selector)',
  port: 'port-level',
};

export function describeDecision(decision: ModeDecision | undefined, port?: number): string {
  if (!decision) return 'no proxy on this port';
  if (!decision.policy || decision.level === 'default')
    return `${LEVEL_WORDS.default} ${decision.mode} applies`;
  const where = `${decision.policy.meta.namespace}/${decision.policy.meta.name}`;
  const portWords = decision.level === 'port' && port !== undefined ? ` for port ${port}` : '';
  return `${LEVEL_WORDS[decision.level]} PeerAuthentication ${where} sets ${decision.mode}${portWords} (the most specific level that sets a mode wins: port > workload > namespace > mesh)`;
}

/** The VirtualService that sent the call to a subset, as a why line (none without subset routing). */
export function describeRoute(outcome: PairOutcome, b: BackendOutcome | undefined): string[] {
  const vs = outcome.route?.virtualService;
  if (!vs || b?.subset === undefined) return [];
  return [
    `VirtualService ${vs.meta.namespace}/${vs.meta.name} routes these calls to subset ${b.subset}, a cluster of its own: the subset's traffic policy, and only the pods with its labels (cluster_builder.go buildSubsetCluster).`,
  ];
}

export function describeBackendServer(b: BackendOutcome): string {
  const w = b.backend?.workload;
  if (!w) return 'the external server';
  const port = b.backend?.targetPort;
  const where = `${w.meta.namespace}/${w.meta.name}${port !== undefined ? ` port ${port}` : ''}`;
  if (b.inboundExcluded && b.serverProxy === 'ambient')
    return `${where} bypasses ztunnel for inbound plaintext (ambient.istio.io/bypass-inbound-capture): the app receives it directly, only HBONE goes through ztunnel`;
  if (b.inboundExcluded)
    return `${where} is excluded from its sidecar (traffic.sidecar.istio.io annotations): the app receives traffic directly`;
  if (b.serverGateway)
    return `${where} is a gateway (${w.gateway?.reason ?? 'router proxy'}): PeerAuthentication does not apply to its listeners, which come from Gateway resources; without Istio mTLS configured there it takes plaintext`;
  if (b.serverProxy === 'none') return `${where} has no proxy (${w.proxyReason}) and accepts only plaintext`;
  if (b.serverProxy === 'ambient' && b.decision && b.decision.mode !== b.serverMode)
    return `${where} is ambient, and ztunnel enforces ${b.serverMode} there (${b.serverMode === 'STRICT' ? 'plaintext is denied' : 'HBONE and plaintext are accepted'}) although ${describeDecision(b.decision, port)}: istiod turns PeerAuthentication into ztunnel policy only as STRICT denials, so DISABLE acts as PERMISSIVE and some port-level entries are not applied as written`;
  return `${where} is ${b.serverMode}: ${describeDecision(b.decision, port)}`;
}

const LOOKUP_STEPS = {
  'client-namespace': 'by clients in its own namespace, which Istio searches first',
  'service-namespace':
    "by clients elsewhere, whose namespace has no rule for this host, as the service namespace's rule",
  'root-namespace':
    "by clients whose namespace and the service's have none for this host, as the root namespace's rule",
} as const;

/** Which rule the clients used and why it won (lookup order: client, service, root namespace). */
export function describeRuleChoice(
  matches: DestinationRuleMatch | undefined | readonly (DestinationRuleMatch | undefined)[],
): string {
  const list = (Array.isArray(matches) ? matches : [matches]).filter((m): m is DestinationRuleMatch => !!m);
  const first = list[0];
  if (!first) return 'no DestinationRule applies';
  const rule = ruleOf(first.rule);
  const steps = [...new Set(list.map((m) => m.step))].map((step) => LOOKUP_STEPS[step]);
  return `DestinationRule ${rule.meta.namespace}/${rule.meta.name} (host ${first.rule.host}) is used ${steps.join(', and ')}`;
}

/** "payments/payments:8080, shop/cart:80 and 3 more" */
export function describeTargets(failures: readonly Failure[], limit = 4): string {
  const names = [...new Set(failures.map((f) => targetName(f.target, f.port)))];
  const shown = names.slice(0, limit).join(', ');
  return names.length > limit ? `${shown} and ${names.length - limit} more` : shown;
}

export function firstSymptom(failures: readonly Failure[]): string {
  return failures[0]?.backends[0]?.symptom ?? failures[0]?.outcome.symptom ?? '';
}
