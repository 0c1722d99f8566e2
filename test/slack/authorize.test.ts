import { describe, expect, it } from 'vitest';
import type { BotConfig } from '../../src/config.js';
import { channelMaySee, channelsMayChange, namespaceOf, userMayApprove } from '../../src/slack/authorize.js';

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
});
