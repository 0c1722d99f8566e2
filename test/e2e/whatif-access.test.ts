// `/mtls whatif host=…` and access rules, through signed slash commands to the bot in process (the
// example mesh as its input, Slack's Web API on loopback): a channel that may see only `shop` cannot
// ask about a host in another namespace, and its refusal is the same whether that host exists or not.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBot, startBot } from '../../commands/serve/bot.js';
import type { BotConfig } from '../../src/config.js';
import { createLogger } from '../../src/ops/logger.js';
import { BotMetrics } from '../../src/ops/metrics.js';
import { answer } from '../../src/slack/answer.js';
import type { MtlsCommand } from '../../src/slack/grammar.js';
import { IncidentThrottle } from '../../src/slack/incident-symptoms.js';
import { PlanCache } from '../../src/slack/plan-cache.js';
import { loadSource } from '../../src/snapshot/source.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { FakeSlack, slackSignature, slashCommandBody } from '../helpers/fake-slack.js';

const SECRET = 'whatif-signing-secret';
const MESH = join(import.meta.dirname, '../../examples/mesh');
let slack: FakeSlack;
let slackUrl: string;
let bot: RunningBot;
const asked: MtlsCommand[] = [];

beforeAll(async () => {
  slack = new FakeSlack();
  slackUrl = await slack.start();
  const plans = new PlanCache();
  const config = {
    port: 0,
    opsPort: 0,
    slack: { botToken: 'xoxb-whatif', signingSecret: SECRET, apiUrl: `${slackUrl}/api/` },
    access: { channels: { C0SHOP: ['shop'], C0ALL: ['*'] } },
    kubernetes: undefined,
    digests: [],
    storePath: ':memory:',
    approvers: { users: [], requestTtlMs: 60_000 },
  } as BotConfig;
  bot = await startBot(config, {
    engine: {
      answer: (command) => {
        asked.push(command);
        return answer(command, { load: () => loadSource({ files: [MESH] }), plans });
      },
      posture: () => Promise.reject(new Error('not used')),
      incident: () => Promise.resolve({}),
      clusterChanged: () => {},
    },
    plans,
    store: new SqliteStore(':memory:'),
    throttle: new IncidentThrottle(),
    metrics: new BotMetrics(),
    logger: createLogger('silent'),
  });
});

afterAll(async () => {
  await bot?.stop();
  await slack?.stop();
});

/** A signed `/mtls <text>` from `channel`; the text of the bot's immediate (ephemeral) answer, if any. */
async function command(text: string, channel: string): Promise<string> {
  const body = slashCommandBody({
    text,
    channel_id: channel,
    response_url: `${slackUrl}/respond/${channel}`,
  });
  const res = await fetch(`http://127.0.0.1:${bot.port}/slack/events`, {
    method: 'POST',
    headers: slackSignature(SECRET, body, Math.floor(Date.now() / 1000)),
    body,
  });
  expect(res.status).toBe(200);
  const raw = await res.text();
  return raw ? String((JSON.parse(raw) as { text?: string }).text ?? '') : '';
}

describe('/mtls whatif and the namespace a host names', () => {
  it('a channel that may see only shop is refused a host in payments, alike whether it exists or not', async () => {
    const before = slack.calls.length;
    const existing = await command(
      'whatif host=payments.payments.svc.cluster.local namespace=shop tls=DISABLE',
      'C0SHOP',
    );
    const missing = await command(
      'whatif host=nothere.payments.svc.cluster.local namespace=shop tls=DISABLE',
      'C0SHOP',
    );
    const shortForm = await command('whatif host=payments.payments.svc namespace=shop tls=DISABLE', 'C0SHOP');
    const wildcard = await command(
      'whatif host=*.payments.svc.cluster.local namespace=shop tls=DISABLE',
      'C0SHOP',
    );
    expect(existing).toBe(
      ':no_entry: Refused: channel C0SHOP may not see namespace payments (it may see shop): add payments to its rule under access.channels.',
    );
    expect(missing).toBe(existing);
    expect(shortForm).toBe(existing);
    expect(wildcard).toBe(existing);
    // Refused before anything is read or posted.
    await new Promise((r) => setTimeout(r, 200));
    expect(asked).toEqual([]);
    expect(slack.calls.slice(before)).toEqual([]);
  });

  it('a host in the channel’s own namespace is answered, and a channel that sees every namespace may ask about any', async () => {
    const own = slack.waitFor('chat.update');
    expect(await command('whatif host=cart.shop.svc.cluster.local namespace=shop tls=SIMPLE', 'C0SHOP')).toBe(
      '',
    );
    expect(String((await own).args.text)).toMatch(
      /^What if DestinationRule tls for cart\.shop\.svc\.cluster\.local/,
    );
    const any = slack.waitFor('chat.update');
    expect(
      await command('whatif host=payments.payments.svc.cluster.local namespace=shop tls=DISABLE', 'C0ALL'),
    ).toBe('');
    expect(String((await any).args.text)).toMatch(/^What if DestinationRule tls for payments\.payments/);
  });
});
