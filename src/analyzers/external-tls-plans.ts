// The fix for calls to an external (MESH_EXTERNAL) host with the wrong TLS, made where it takes
// effect for the failing clients. The rule they use now is patched when it is the host's own: a second
// rule for the same host in that namespace would be merged with it, and the older rule's traffic
// policy wins (destination_rule.go mergeDestinationRule). Beside a wildcard rule they use, a rule for
// the host goes into the wildcard's namespace, where the exact host wins: a rule in the ServiceEntry's
// namespace would not be seen by clients whose own namespace has a match, as it is searched first.
// Only without any rule does the new one go into the ServiceEntry's namespace.

import {
  type MergedDestinationRule,
  portsWithOwnTls,
  resolveTls,
  TOP_LEVEL_TLS,
} from '../mesh/destination-rules.js';
import { appTlsOn, externalTlsFailure } from '../mesh/external-tls.js';
import { isWildcard } from '../mesh/hosts.js';
import { pushTo } from '../mesh/multi-map.js';
import type { ServiceTarget, TargetPort } from '../mesh/targets.js';
import {
  createExternalDestinationRule,
  type ExternalTls,
  type RemediationPlan,
  setDestinationRulePortTls,
  setDestinationRuleTls,
} from '../remediation/plans.js';
import type { ClientTlsMode } from '../snapshot/types.js';
import type { Failure } from './connectivity-failures.js';
import { credentialRemedy } from './credential-rule-plans.js';
import { ruleOf } from './explain.js';

export interface ExternalRemedy {
  readonly plans: RemediationPlan[];
  /** What to do, in words. */
  readonly fix: string;
}

// One plan per rule the failing clients use (their namespaces may each have one), a few at most.
const MAX_PLANS = 3;

/** The plans for one failing (external host, port), one per rule its failing clients use. */
export function externalRemedy(group: readonly Failure[]): ExternalRemedy {
  const byRule = new Map<MergedDestinationRule | undefined, Failure[]>();
  for (const f of group) pushTo(byRule, f.outcome.rule?.rule, f);
  const remedies = [...byRule.values()].map((failures) =>
    // Sidecars that ignore the rule's credentialName need that credential, not another mode.
    failures[0]?.outcome.resolvedTls?.credentialIgnored
      ? credentialRemedy(failures)
      : single(remedyFor(failures[0] as Failure)),
  );
  // Clients with different rules may need the same object created or patched: one plan per id,
  // said once.
  const plans: RemediationPlan[] = [];
  const words: string[] = [];
  for (const remedy of remedies) {
    const fresh = remedy.plans.filter((p) => !plans.some((o) => o.id === p.id));
    if ((remedy.plans.length > 0 && fresh.length === 0) || plans.length >= MAX_PLANS) continue;
    plans.push(...fresh);
    words.push(remedy.fix);
  }
  return { plans: plans.slice(0, MAX_PLANS), fix: words.join(' ') };
}

function single(remedy: { plan: RemediationPlan; fix: string }): ExternalRemedy {
  return { plans: [remedy.plan], fix: remedy.fix };
}

function remedyFor(f: Failure): { plan: RemediationPlan; fix: string } {
  const { target, port } = f;
  const host = target.host;
  const mode = externalTlsFor(port);
  const merged = f.outcome.rule?.rule;
  const tlsWords = (m: ExternalTls) => `tls.mode ${m}${m === 'SIMPLE' ? ` and sni: ${host}` : ''}`;
  if (!merged || isWildcard(merged.host)) {
    // The new rule's top-level tls serves every port: one mode if every port works with it, else a
    // mode for each port that fails now, the others kept as they are.
    const modes = target.ports.every((p) => portAccepts(p, mode)) ? mode : failingPortModes(target, merged);
    const rule = merged && ruleOf(merged);
    const namespace = rule?.meta.namespace ?? target.namespace;
    const what =
      typeof modes === 'string'
        ? tlsWords(modes)
        : [...modes].map(([p, m]) => `${tlsWords(m)} for port ${p}`).join(', ');
    return {
      plan: createExternalDestinationRule(namespace, host, modes, {
        ...(rule ? { beside: rule } : {}),
        ...appSpeaksTlsOption(port),
      }),
      fix: rule
        ? `Give ${host} its own DestinationRule with ${what}, in ${namespace} beside ${rule.meta.namespace}/${rule.meta.name} (${merged?.host}), which these clients use now: there the exact host wins, and a rule elsewhere would not be seen before it.`
        : `Add a DestinationRule for ${host} with ${what}, in ${namespace}.`,
    };
  }
  const rule = ruleOf(merged);
  const name = `${rule.meta.namespace}/${rule.meta.name}`;
  const sni = mode === 'SIMPLE' ? host : undefined;
  const path = f.outcome.resolvedTls?.path ?? TOP_LEVEL_TLS;
  // The top-level tls serves every port without an entry of its own: changed only if they all work
  // with it; else the ports that fail now and need this mode get entries of their own.
  const ownTls = portsWithOwnTls(merged);
  const governed = target.ports.filter((p) => !ownTls.has(p.port));
  if (path !== TOP_LEVEL_TLS || governed.every((p) => portAccepts(p, mode)))
    return {
      plan: setDestinationRuleTls(rule, path, mode, { sni }),
      fix: `Set ${path}.mode to ${mode}${sni ? ` (sni: ${host})` : ''} in DestinationRule ${name}, the rule these clients use for ${host}: a second rule for the host beside it would be merged and lose to the older one.`,
    };
  const modes = failingPortModes(target, merged);
  const ports = governed.map((p) => p.port).filter((p) => modes.get(p) === mode);
  return {
    plan: setDestinationRulePortTls(rule, ports, mode, { sni }),
    fix: `Set ${tlsWords(mode)} for port${ports.length > 1 ? 's' : ''} ${ports.join(', ')} only (portLevelSettings) in DestinationRule ${name}, the rule these clients use for ${host}: its other ports need other TLS, and a second rule for the host beside it would be merged and lose to the older one.`,
  };
}

/**
 * The TLS that works towards an external port: the app's own bytes, or TLS the sidecar adds, offered
 * only where the app is known to send plaintext (an HTTP protocol): wrapped around an app's own TLS,
 * SIMPLE would break calls that work.
 */
export function externalTlsFor(port: TargetPort): ExternalTls {
  return portAccepts(port, 'DISABLE') ? 'DISABLE' : 'SIMPLE';
}

/** What connectivity.ts judgeExternal accepts on an external port from a sidecar that sends `tls`. */
function portAccepts(port: TargetPort, tls: ClientTlsMode): boolean {
  return externalTlsFailure(port, tls) === undefined;
}

/** What the new rule's title says the app sends: its TLS, plain HTTP, or (unknown) nothing either way. */
function appSpeaksTlsOption(port: TargetPort): { appSpeaksTls?: boolean } {
  const app = appTlsOn(port);
  return app === 'unknown' ? {} : { appSpeaksTls: app === 'tls' };
}

/**
 * The host's ports that fail with the TLS the rule gives them now (none: plaintext, as for every
 * external host without a rule), each with the mode it needs.
 */
function failingPortModes(
  target: ServiceTarget,
  rule: MergedDestinationRule | undefined,
): Map<number, ExternalTls> {
  const modes = new Map<number, ExternalTls>();
  for (const p of target.ports) {
    const resolved = rule ? resolveTls(rule, p.port) : undefined;
    // A sidecar ignores a SIMPLE/MUTUAL credentialName without workloadSelector: plaintext.
    const now = resolved?.tls && !resolved.credentialIgnored ? resolved.tls.mode : 'DISABLE';
    if (!portAccepts(p, now)) modes.set(p.port, externalTlsFor(p));
  }
  return modes;
}
