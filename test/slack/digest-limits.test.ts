// The posture digest of a large mesh: every message it posts fits Slack's cumulative block budget
// (~13,000 characters, msg_blocks_too_long), a thread message Slack refuses anyway does not turn a
// posted digest into one "that could not be built", and no change is cut silently from "Since …".
import type { App } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import type { BotDeps } from '../../commands/serve/deps.js';
import { registerMtlsCommand } from '../../commands/serve/mtls-command.js';
import type { NamespacePosture, Posture, PostureChange } from '../../src/digest/posture.js';
import { createLogger } from '../../src/ops/logger.js';
import { BotMetrics } from '../../src/ops/metrics.js';
import { LIMITS } from '../../src/render/blocks.js';
import { digestMessage } from '../../src/render/digest.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

type Handler = (args: Record<string, unknown>) => Promise<void>;

const namespace = (i: number): NamespacePosture => ({
  namespace: `team-${String(i).padStart(3, '0')}-payments-processing-service`,
  mode: 'PERMISSIVE',
  workloads: 5,
  withoutProxy: ['legacy-batch-exporter'],
  plaintextPorts: ['api:8080', 'metrics:9090'],
  errors: 1,
  warnings: 0,
  expiringCertificates: 0,
  stage: 'add-sidecars',
  nextStep: 'inject sidecars into legacy-batch-exporter, then restart them',
  wouldBreakIfStrict: [],
});

const meshOf = (namespaces: number): Posture => ({
  takenAt: '2026-01-01T00:00:00Z',
  meshMode: 'PERMISSIVE',
  score: 40,
  namespaces: Array.from({ length: namespaces }, (_, i) => namespace(i)),
});

const blocksSize = (blocks: unknown[]) => JSON.stringify(blocks).length;

it('a 200-namespace digest: every message fits the block budget, and the thread holds every namespace', () => {
  const message = digestMessage({ posture: meshOf(200), previousAt: '2025-12-31T00:00:00Z', changes: [] });
  expect(message.thread.length).toBeGreaterThan(1);
  for (const blocks of [message.blocks, ...message.thread.map((t) => t.blocks)])
    expect(blocksSize(blocks)).toBeLessThan(13_000);
  const thread = JSON.stringify(message.thread);
  for (let i = 0; i < 200; i++) expect(thread).toContain(namespace(i).namespace);
});

it('three sections of detail that do not fit beside a long head go to the thread', () => {
  const posture = meshOf(50);
  const gaps = Array.from({ length: 20 }, (_, i) => ({
    source: `pods in team-${i}`,
    reason: 'forbidden: User "system:serviceaccount:mtls:doctor" cannot list resource "pods"',
  }));
  const changes = posture.namespaces.map((n) => ({ namespace: n.namespace, what: 'errors 0 → 1' }));
  const message = digestMessage({
    posture: { ...posture, gaps },
    previousAt: '2025-12-31T00:00:00Z',
    changes,
  });
  expect(message.thread).toHaveLength(1);
  for (const blocks of [message.blocks, ...message.thread.map((t) => t.blocks)])
    expect(blocksSize(blocks)).toBeLessThan(13_000);
});

it('a digest whose detail fits beside the summary stays one message', () => {
  const message = digestMessage({ posture: meshOf(5), previousAt: '2025-12-31T00:00:00Z', changes: [] });
  expect(message.thread).toEqual([]);
  expect(JSON.stringify(message.blocks)).toContain(namespace(4).namespace);
});

describe('the "Since" list of a long day', () => {
  const routine = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ namespace: namespace(i).namespace, what: 'errors 0 → 1' }));
  const sinceOf = (changes: PostureChange[]) => {
    const message = digestMessage({ posture: meshOf(60), previousAt: '2025-12-31T00:00:00Z', changes });
    const block = message.blocks.find((b) => JSON.stringify(b).includes('*Since'));
    return String((block?.text as { text?: string } | undefined)?.text);
  };

  it('lists a regression first, ahead of the routine changes before it alphabetically', () => {
    const since = sinceOf([
      ...routine(59),
      { namespace: 'zz-payments', what: 'mode STRICT → PERMISSIVE', regression: true },
    ]);
    expect(since.split('\n')[1]).toBe('• :warning: `zz-payments`: mode STRICT → PERMISSIVE');
  });

  it('cuts whole lines within a section and counts the changes left out', () => {
    const since = sinceOf(routine(60));
    expect(since.length).toBeLessThanOrEqual(LIMITS.sectionText);
    const lines = since.split('\n');
    const shown = lines.filter((l) => l.startsWith('• ')).length;
    expect(lines.at(-2)).toBe(`• \`${namespace(shown - 1).namespace}\`: errors 0 → 1`);
    expect(lines.at(-1)).toBe(`…and ${60 - shown} more changes`);
  });
});

it('/mtls digest whose thread Slack refuses says the digest is posted without its detail, and still draws the trend', async () => {
  let handler: Handler | undefined;
  const app = {
    command: (_: string, h: Handler) => {
      handler = h;
    },
  } as unknown as App;
  const metrics = new BotMetrics();
  const deps = {
    config: { access: { channels: { C1: ['*'] } }, digests: [] },
    engine: { posture: async () => meshOf(200) },
    store: new SqliteStore(':memory:'),
    metrics,
    logger: createLogger('silent'),
  } as unknown as BotDeps;
  registerMtlsCommand(app, deps, async () => {});
  const said: string[] = [];
  const postMessage = async (args: { thread_ts?: string }) => {
    if (args.thread_ts)
      throw Object.assign(new Error('An API error occurred: ratelimited'), {
        data: { error: 'ratelimited' },
      });
    said.push('digest in the channel');
    return { ok: true, ts: '1.1' };
  };
  await (handler as Handler)({
    command: { text: 'digest', channel_id: 'C1', user_id: 'U1' },
    ack: async () => {},
    client: {
      chat: { postMessage },
      filesUploadV2: async () => {
        said.push('trend picture');
        return { ok: true };
      },
    },
    respond: async (r: { text: string }) => void said.push(r.text),
  });
  expect(said[0]).toBe('digest in the channel');
  expect(said).toContain('trend picture');
  const told = said.filter((s) => s.startsWith(':'));
  expect(told).toHaveLength(1);
  expect(told[0]).toMatch(/^:warning: The digest is posted; its per-namespace detail could not be added/);
  expect(told[0]).toContain('ratelimited');
  const checks = await metrics.checks.get();
  expect(checks.values.map((v) => v.labels.outcome)).toEqual(['posted']);
});

it('/mtls digest in a channel the bot is not in says Slack refused the post and what to do, not that it could not be built', async () => {
  let handler: Handler | undefined;
  const app = {
    command: (_: string, h: Handler) => {
      handler = h;
    },
  } as unknown as App;
  const deps = {
    config: { access: { channels: { C1: ['*'] } }, digests: [] },
    engine: { posture: async () => meshOf(3) },
    store: new SqliteStore(':memory:'),
    metrics: new BotMetrics(),
    logger: createLogger('silent'),
  } as unknown as BotDeps;
  registerMtlsCommand(app, deps, async () => {});
  const said: string[] = [];
  await (handler as Handler)({
    command: { text: 'digest', channel_id: 'C1', user_id: 'U1' },
    ack: async () => {},
    client: {
      chat: {
        postMessage: async () => {
          throw Object.assign(new Error('An API error occurred: not_in_channel'), {
            data: { error: 'not_in_channel' },
          });
        },
      },
    },
    respond: async (r: { text: string }) => void said.push(r.text),
  });
  expect(said).toEqual([
    ':x: The digest was built but Slack refused to post it here (not_in_channel): invite the bot to this channel.',
  ]);
});
