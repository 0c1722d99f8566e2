import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { channelMaySee } from '../../src/slack/authorize.js';
import { parseCommand } from '../../src/slack/grammar.js';

describe('/mtls grammar', () => {
  it.each([
    ['check payments', { kind: 'check', namespace: 'payments' }],
    ['  matrix   shop ', { kind: 'matrix', namespace: 'shop' }],
    ['certs shop/cart-7d9c-x2x9z', { kind: 'certs', namespace: 'shop', pod: 'cart-7d9c-x2x9z' }],
    ['certs shop', { kind: 'certs', namespace: 'shop', pod: undefined }],
    ['digest', { kind: 'digest' }],
    ['', { kind: 'help' }],
    ['HELP', { kind: 'help' }],
    [
      'whatif shop strict',
      { kind: 'whatif', namespace: 'shop', change: { namespace: 'shop', mode: 'STRICT' } },
    ],
    [
      'whatif mesh PERMISSIVE',
      { kind: 'whatif', namespace: undefined, change: { namespace: undefined, mode: 'PERMISSIVE' } },
    ],
    [
      'whatif automtls=off',
      { kind: 'whatif', namespace: undefined, change: { kind: 'auto-mtls', enabled: false } },
    ],
    [
      'whatif host=reviews namespace=shop tls=disable',
      {
        kind: 'whatif',
        namespace: 'shop',
        change: { kind: 'destination-rule', host: 'reviews', namespace: 'shop', tls: 'DISABLE' },
      },
    ],
    // Without namespace= the rules for the host may be anywhere: the access rule asks for the mesh.
    [
      'whatif host=reviews.shop.svc.cluster.local tls=ISTIO_MUTUAL',
      {
        kind: 'whatif',
        namespace: undefined,
        change: { kind: 'destination-rule', host: 'reviews.shop.svc.cluster.local', tls: 'ISTIO_MUTUAL' },
      },
    ],
  ])('%s', (text, command) => {
    expect(parseCommand(text)).toEqual({ ok: true, command });
  });

  it.each([
    ['check', 'needs exactly one namespace'],
    ['check Payments', 'not a valid namespace name'],
    ['check a b', 'needs exactly one namespace'],
    ['check <!channel>', 'not a valid namespace name'],
    ['certs shop/Bad_Pod', 'not a valid pod name'],
    ['restart everything', 'Unknown subcommand `restart`'],
    ['whatif shop', 'needs a namespace and a mode'],
    ['whatif shop LOOSE', 'is not a mode'],
    ['whatif Shop STRICT', 'not a valid namespace name'],
    ['whatif automtls=maybe', '`/mtls whatif`: automtls "maybe" is not on or off'],
    ['whatif host=reviews tls=DISABLE', 'is a short name: add namespace=NS'],
    ['whatif automtls=<!channel>', 'automtls "&lt;!channel&gt;" is not on or off'],
  ])('%s is refused with help', (text, message) => {
    const result = parseCommand(text);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.message).toContain(message);
      expect(result.message).toContain('/mtls check <namespace>');
    }
  });
});

describe('configuration', () => {
  const env = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' };

  it('names every bad key, from the environment and the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'port: "eighty"\naccess:\n  channels:\n    C1: [Bad_NS]\nsurprise: 1\n');
    try {
      loadConfig({ SLACK_BOT_TOKEN: 'nope' }, file);
      throw new Error('expected ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toContain('port');
      expect(problems).toContain('access.channels.C1.0');
      expect(problems).toContain('surprise');
      expect(problems).toContain('SLACK_BOT_TOKEN does not look like a bot token');
      expect(problems).toContain('set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET');
      expect(problems).not.toContain('nope');
    }
  });

  it('channel access fails closed and honours * and lists', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'access:\n  channels:\n    C1: ["*"]\n    C2: [shop, payments]\n');
    const config = loadConfig(env, file);
    expect(channelMaySee(config, 'C1', 'anything')).toEqual({ allowed: true });
    expect(channelMaySee(config, 'C2', 'shop')).toEqual({ allowed: true });
    expect(channelMaySee(config, 'C2', 'kube-system')).toMatchObject({
      allowed: false,
      reason: expect.stringContaining(
        'channel C2 may not see namespace kube-system (it may see shop, payments): add kube-system to its rule under access.channels',
      ),
    });
    expect(channelMaySee(config, 'C3', 'shop')).toMatchObject({
      allowed: false,
      reason: expect.stringContaining('no access rule'),
    });
    expect(channelMaySee(loadConfig(env), 'C1', 'shop').allowed).toBe(false);
  });

  it('refuses a scheduled digest to a channel whose rule is not "*", naming the channel and its rule', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(
      file,
      [
        'access:',
        '  channels:',
        '    C0ALL: ["*"]',
        '    C0SHOP: [shop, payments]',
        'digests:',
        '  - {channel: C0ALL, cron: "0 9 * * *"}',
        '  - {channel: C0SHOP, cron: "0 9 * * *"}',
        '  - {channel: C0NORULE, cron: "0 9 * * *"}',
        '',
      ].join('\n'),
    );
    let problems: readonly string[] = [];
    try {
      loadConfig(env, file);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      problems = (error as ConfigError).problems;
    }
    expect(problems).toEqual([
      'digests.1.channel: the digest shows every namespace, but channel C0SHOP may only see shop, payments, not every namespace: give it "*" under access.channels',
      "digests.2.channel: the digest shows every namespace, but channel C0NORULE has no access rule: add it under access.channels in the bot's configuration",
    ]);
    // A channel without a rule of its own takes the any-channel rule, as /mtls digest does.
    writeFileSync(
      file,
      'access:\n  channels:\n    "*": ["*"]\ndigests:\n  - {channel: C0NORULE, cron: "0 9 * * *"}\n',
    );
    expect(loadConfig(env, file).digests).toEqual([{ channel: 'C0NORULE', cron: '0 9 * * *' }]);
  });
});

describe('configuration reference', () => {
  it('the README holds the reference generated from the schema (scripts/config-reference.ts)', async () => {
    const { readFileSync } = await import('node:fs');
    const { configReference } = await import('../../src/config-reference.js');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`<!-- config:start -->\n${configReference()}\n<!-- config:end -->`);
  });
});
