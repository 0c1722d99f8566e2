// Plain-words explanations shared by the analyzers: who decided a mode, which rule a client used.
import type { BackendOutcome } from '../mesh/connectivity.js';
import type { DestinationRuleMatch, MergedDestinationRule } from '../mesh/destination-rules.js';
import type { ModeDecision } from '../mesh/server-mode.js';
import type { DestinationRule, PeerAuthentication, Ref } from '../snapshot/types.js';
import { type Failure, targetName } from './connectivity-failures.js';

export function paRef(pa: PeerAuthentication): Ref {
  return { kind: 'PeerAuthentication', namespace: pa.meta.namespace, name: pa.meta.name };
}

export function drRef(rule: DestinationRule): Ref {
  return { kind: 'DestinationRule', namespace: rule.meta.namespace, name: rule.meta.name };
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

export function describeBackendServer(b: BackendOutcome): string {
  const w = b.backend?.workload;
  if (!w) return 'the external server';
  const port = b.backend?.targetPort;
  const where = `${w.meta.namespace}/${w.meta.name}${port !== undefined ? ` port ${port}` : ''}`;
  if (b.inboundExcluded)
    return `${where} is excluded from its sidecar (traffic.sidecar.istio.io annotations): the app receives traffic directly`;
  if (b.serverProxy === 'none') return `${where} has no proxy (${w.proxyReason}) and accepts only plaintext`;
  return `${where} is ${b.serverMode}: ${describeDecision(b.decision, port)}`;
}

export function describeRuleChoice(match: DestinationRuleMatch | undefined): string {
  if (!match) return 'no DestinationRule applies';
  const rule = ruleOf(match.rule);
  const steps = {
    'client-namespace': "it is in the client's own namespace, which Istio searches first",
    'service-namespace': "the client's namespace has none for this host, so the service's namespace is next",
    'root-namespace':
      "neither the client's nor the service's namespace has one, so the root namespace applies",
  };
  return `DestinationRule ${rule.meta.namespace}/${rule.meta.name} (host ${match.rule.host}) is used: ${steps[match.step]}`;
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
