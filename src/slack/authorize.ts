// The one authorisation decision for every Slack entry point: which namespaces a channel may see
// (access.channels) and who may approve a change (approvers.users). Fails closed: a channel without a
// rule sees nothing. Each refusal names the rule that is missing, so an administrator knows what to add.
import type { BotConfig } from '../config.js';
import { whatIfNamespaces } from '../impact/what-if.js';
import { isNamespaceName } from '../snapshot/k8s-names.js';
import type { Ref } from '../snapshot/types.js';
import type { MtlsCommand } from './grammar.js';

export type Decision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

const ALLOWED: Decision = { allowed: true };
const refuse = (reason: string): Decision => ({ allowed: false, reason });

/** The namespaces a channel's rule lists (`*` = all), or undefined when it has no rule at all. */
export function channelRule(
  config: Pick<BotConfig, 'access'>,
  channel: string,
): readonly string[] | undefined {
  return config.access.channels[channel] ?? config.access.channels['*'];
}

/**
 * May this channel see this namespace? `undefined` asks for everything (a digest, a cluster-scoped
 * object), which only a `*` rule allows.
 */
export function channelMaySee(
  config: Pick<BotConfig, 'access'>,
  channel: string,
  namespace: string | undefined,
): Decision {
  // A click outside any channel (no channel id) must not match a `*` channel rule.
  if (!channel) return refuse('the request came from no channel');
  const rules = channelRule(config, channel);
  if (!rules)
    return refuse(
      `channel ${channel} has no access rule: add it under access.channels in the bot's configuration`,
    );
  if (namespace === undefined)
    return rules.includes('*')
      ? ALLOWED
      : refuse(
          `channel ${channel} may only see ${rules.join(', ')}, not every namespace: give it "*" under access.channels`,
        );
  if (!isNamespaceName(namespace)) return refuse(`"${namespace}" is not a valid namespace name`);
  if (rules.includes('*') || rules.includes(namespace)) return ALLOWED;
  return refuse(
    `channel ${channel} may not see namespace ${namespace} (it may see ${rules.join(', ') || 'none'}): add ${namespace} to its rule under access.channels`,
  );
}

/**
 * May this channel see everything the command reads? A what-if about a host (`host=svc.ns.svc...`)
 * reads the host's namespace as well as the one it changes, so the channel must see both: otherwise
 * its answer (the host is unknown, or which calls break) would tell what another namespace holds.
 * Decided before anything is read, so a refusal says nothing about what exists.
 */
export function channelMaySeeCommand(
  config: BotConfig,
  channel: string,
  command: Exclude<MtlsCommand, { kind: 'help' | 'digest' }>,
): Decision {
  const namespaces =
    command.kind === 'whatif' ? (whatIfNamespaces(command.change) ?? [undefined]) : [command.namespace];
  return all(...namespaces.map((namespace) => channelMaySee(config, channel, namespace)));
}

/** The namespace a change to this object belongs to; undefined for cluster-scoped objects. */
export function namespaceOf(target: Ref): string | undefined {
  return target.namespace ?? (target.kind === 'Namespace' ? target.name : undefined);
}

/** May this user approve changes (never their own request; the caller checks that)? */
export function userMayApprove(config: BotConfig, user: string): Decision {
  return config.approvers.users.includes(user)
    ? ALLOWED
    : refuse(`user ${user} is not an approver: add them under approvers.users`);
}

/**
 * May this click resolve a request? Both the channel it came from and the channel the request lives in
 * must see the namespace of the change, so a button copied elsewhere widens nothing.
 */
export function channelsMayChange(
  config: BotConfig,
  channels: { readonly click: string; readonly request: string },
  namespace: string | undefined,
): Decision {
  for (const channel of new Set([channels.click, channels.request])) {
    const decision = channelMaySee(config, channel, namespace);
    if (!decision.allowed) return decision;
  }
  return ALLOWED;
}

/** The first refusal among several decisions, or allowed. */
export function all(...decisions: Decision[]): Decision {
  return decisions.find((d) => !d.allowed) ?? ALLOWED;
}
