import type { App } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import type { BotDeps } from '../../commands/serve/deps.js';
import { registerIncidentListener } from '../../commands/serve/incident-listener.js';
import { finding } from '../../src/analyzers/finding.js';
import { diagnose } from '../../src/engine/diagnose.js';
import { createLogger } from '../../src/ops/logger.js';
import { BotMetrics } from '../../src/ops/metrics.js';
import { diagnosisMessage, LIMITS, type SlackMessage } from '../../src/render/blocks.js';
import { IncidentThrottle } from '../../src/slack/incident-symptoms.js';
import { snapshotOf } from '../helpers/mesh.js';

type Post = { thread_ts?: string; text?: string; blocks?: unknown[] };

/** The listener on channel C0INC (which sees every namespace), answering `message` for namespace shop. */
function incidentChannel(message: SlackMessage, postMessage: (post: Post) => Promise<{ ts: string }>) {
  let listener: ((args: Record<string, unknown>) => Promise<void>) | undefined;
  const app = {
    message: (l: typeof listener) => {
      listener = l;
    },
  } as unknown as App;
  const deps = {
    config: { access: { channels: { C0INC: ['*'] } }, incidents: { channels: ['C0INC'] } },
    engine: {
      incident: async () => ({ namespace: 'shop', answer: { verdict: 'problems-found', message } }),
    },
    throttle: new IncidentThrottle(),
    metrics: new BotMetrics(),
    logger: createLogger('silent'),
  } as unknown as BotDeps;
  registerIncidentListener(app, deps);
  return (ts: string) =>
    listener?.({
      message: {
        channel: 'C0INC',
        ts,
        text: 'upstream connect error or disconnect/reset before headers: cart.shop.svc.cluster.local',
      },
      client: { chat: { postMessage } },
    });
}

const diagnosis: SlackMessage = {
  text: 'mTLS check of shop',
  blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'findings' } }],
  thread: [],
};

describe('incident listener', () => {
  it('a diagnosis Slack refused is posted on the next alert for the service, not silenced for the cooldown', async () => {
    const posts: Post[] = [];
    let refuse = true;
    const alert = incidentChannel(diagnosis, async (post) => {
      if (refuse) {
        refuse = false;
        throw new Error('An API error occurred: msg_blocks_too_long');
      }
      posts.push(post);
      return { ts: '2.2' };
    });
    await alert('1.1');
    await alert('1.2');
    expect(posts).toHaveLength(1);
    expect(posts[0]?.thread_ts).toBe('1.2');
    // Once answered, the cooldown holds.
    await alert('1.3');
    expect(posts).toHaveLength(1);
  });

  it('puts its introduction before a full first message and still says the rest is in the thread', async () => {
    // Short findings without buttons: the first message is full at 50 blocks.
    const short = finding({
      code: 'strict-plaintext-clients',
      message: 'm',
      fix: 'f',
      resource: { kind: 'PeerAuthentication', namespace: 'shop', name: 'default' },
    });
    const diagnosis = { ...diagnose(snapshotOf('')), findings: Array(60).fill(short) };
    const message = diagnosisMessage(diagnosis, { title: 'mTLS check of shop' });
    expect(message.blocks).toHaveLength(LIMITS.blocks);
    const posts: Post[] = [];
    await incidentChannel(message, async (post) => {
      posts.push(post);
      return { ts: '2.2' };
    })('1.1');
    const first = posts[0]?.blocks ?? [];
    expect(first.length).toBeLessThanOrEqual(LIMITS.blocks);
    expect(JSON.stringify(first[0])).toContain('This looks like an mTLS symptom');
    expect(JSON.stringify(first.at(-1))).toContain('Continued in the thread');
    const findings = posts
      .flatMap((p) => p.blocks ?? [])
      .filter((b) => JSON.stringify(b).includes('*strict-'));
    expect(findings).toHaveLength(60);
  });
});
