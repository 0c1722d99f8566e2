import { describe, expect, it } from 'vitest';
import type { BotConfig } from '../../src/config.js';
import {
  channelMaySee,
  channelMaySeeCommand,
  channelsMayChange,
  namespaceOf,
  userMayApprove,
} from '../../src/slack/authorize.js';
import { parseCommand } from '../../src/slack/grammar.js';

const config = {
  access: { channels: { C0OPS: ['*'], C0SHOP: ['shop'], '*': ['public'] } },
  approvers: { users: ['U0BOB'], requestTtlMs: 1 },
} as unknown as BotConfig;

describe('the authorisation decision', () => {
  it('a click from no channel is refused even under a "*" channel rule', () => {
    expect(channelMaySee(config, '', 'public')).toEqual({
      allowed: false,
      reason: 'the request came from no channel',
    });
    expect(channelMaySee(config, 'C0ANY', 'public')).toEqual({ allowed: true });
  });

  it('a change is allowed only when both the click and the request channel see its namespace', () => {
    expect(channelsMayChange(config, { click: 'C0OPS', request: 'C0SHOP' }, 'shop')).toEqual({
      allowed: true,
    });
    expect(channelsMayChange(config, { click: 'C0OPS', request: 'C0SHOP' }, 'payments')).toMatchObject({
      allowed: false,
      reason:
        'channel C0SHOP may not see namespace payments (it may see shop): add payments to its rule under access.channels',
    });
    // A cluster-scoped change (no namespace) needs a "*" rule.
    expect(channelsMayChange(config, { click: 'C0SHOP', request: 'C0OPS' }, undefined).allowed).toBe(false);
  });

  it('a Namespace object belongs to itself; approvers are named', () => {
    expect(namespaceOf({ kind: 'Namespace', name: 'legacy' })).toBe('legacy');
    expect(namespaceOf({ kind: 'ConfigMap', namespace: 'istio-system', name: 'istio' })).toBe('istio-system');
    expect(userMayApprove(config, 'U0BOB')).toEqual({ allowed: true });
    expect(userMayApprove(config, 'U0EVE')).toEqual({
      allowed: false,
      reason: 'user U0EVE is not an approver: add them under approvers.users',
    });
  });

  it.each([
    ['whatif host=cart namespace=shop tls=SIMPLE', true],
    ['whatif host=cart.shop.svc.cluster.local namespace=shop tls=SIMPLE', true],
    // An external host is looked up in every namespace's ServiceEntries (even those exported to their
    // own namespace only): the answer would tell what payments holds.
    ['whatif host=api.example.com namespace=shop tls=SIMPLE', false],
    ['whatif host=payments.payments.svc.cluster.local namespace=shop tls=DISABLE', false],
    ['whatif host=pay.payments.svc namespace=shop tls=DISABLE', false],
    ['whatif host=*.payments.svc.cluster.local namespace=shop tls=DISABLE', false],
    ['whatif host=payments.payments.svc.cluster.local tls=DISABLE', false],
    // A wildcard across namespaces covers payments too.
    ['whatif host=*.local namespace=shop tls=DISABLE', false],
    ['whatif host=*.svc.cluster.local namespace=shop tls=DISABLE', false],
    ['whatif host=* namespace=shop tls=DISABLE', false],
    ['whatif host=*.example.com namespace=shop tls=SIMPLE', false],
    ['whatif shop STRICT', true],
    ['check payments', false],
  ])('channel C0SHOP (shop only) may ask %s: %s', (text, allowed) => {
    const parsed = parseCommand(text);
    if (!parsed.ok || parsed.command.kind === 'help' || parsed.command.kind === 'digest')
      throw new Error(`not a command: ${text}`);
    expect(channelMaySeeCommand(config, 'C0SHOP', parsed.command).allowed).toBe(allowed);
    expect(channelMaySeeCommand(config, 'C0OPS', parsed.command).allowed).toBe(true);
  });
});
