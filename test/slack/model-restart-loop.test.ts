// A model thread that dies a minute after each sync (out of memory on every big burst) is said once as
// a restart loop, each further stop only logged, and once more when it is stable again: not a
// "stopped" and a "restarted" post per crash, 120 an hour. A clock of the test's decides the times.
import { PassThrough } from 'node:stream';
import type { WebClient } from '@slack/web-api';
import { expect, it } from 'vitest';
import { LOOP_WINDOW_MS, modelRestarts, STABLE_AFTER_MS } from '../../commands/serve/model-restarts.js';
import type { BotConfig } from '../../src/config.js';
import { createLogger } from '../../src/ops/logger.js';
import type { ModelStatusReport } from '../../src/snapshot/live/model-source.js';

const OOM = 'Worker terminated due to reaching memory limit: JS heap out of memory';

function restartsWithClock() {
  const texts: string[] = [];
  const client = {
    chat: {
      postMessage: async (m: { text: string }) => {
        texts.push(m.text);
        return { ok: true, ts: '1.1' };
      },
    },
  } as unknown as WebClient;
  const lines: string[] = [];
  const log = new PassThrough();
  log.on('data', (chunk: Buffer) => lines.push(...chunk.toString().trim().split('\n')));
  const clock = { t: Date.parse('2026-01-01T00:00:00Z') };
  const restarts = modelRestarts({
    config: { watch: { channels: ['C0OPS'] } } as unknown as BotConfig,
    logger: createLogger('info', log),
    client,
    now: () => clock.t,
  });
  const synced = () =>
    restarts.status({ synced: true, kinds: [], at: clock.t } as unknown as ModelStatusReport);
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
  const logged = () => lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
  return { restarts, texts, clock, synced, settle, logged };
}

it('an hour of a crash each minute posts the first stop and restart, one loop notice, and logs every stop', async () => {
  const { restarts, texts, clock, synced, settle, logged } = restartsWithClock();
  for (let i = 0; i < 60; i++) {
    clock.t += 30_000;
    restarts.stopped(OOM);
    clock.t += 30_000;
    synced();
  }
  await settle();
  expect(texts).toHaveLength(3);
  expect(texts[0]).toContain(':warning: The cluster model stopped');
  expect(texts[1]).toContain('Cluster model restarted after its thread stopped');
  expect(texts[2]).toBe(
    `:repeat: The cluster model is restarting repeatedly (2 times since 2026-01-01T00:00:30.000Z; last: ${OOM}). Change alerts are paused whenever it is down; further stops are only logged until it has run 10 minutes without one.`,
  );
  expect(logged().filter((m) => m.startsWith('cluster model thread stopped'))).toHaveLength(60);
});

it('once it ran ten minutes without a stop it says it is stable again, and a later stop is posted afresh', async () => {
  const { restarts, texts, clock, synced, settle } = restartsWithClock();
  for (let i = 0; i < 5; i++) {
    clock.t += 30_000;
    restarts.stopped(OOM);
    clock.t += 30_000;
    synced();
  }
  // Heartbeats every 5 s: not stable yet at nine minutes…
  const lastStop = clock.t - 30_000;
  while (clock.t < lastStop + STABLE_AFTER_MS - 5_000) {
    clock.t += 5_000;
    synced();
  }
  await settle();
  expect(texts).toHaveLength(3);
  // …stable at ten, said once.
  for (let i = 0; i < 3; i++) {
    clock.t += 5_000;
    synced();
  }
  await settle();
  expect(texts.slice(3)).toEqual([
    ':white_check_mark: Cluster model stable again: synced, and no stop for 10 minutes (it restarted 5 times since 2026-01-01T00:00:30.000Z); change alerts resumed.',
  ]);
  clock.t += 60_000;
  restarts.stopped('boom');
  clock.t += 30_000;
  synced();
  await settle();
  expect(texts.slice(4)).toEqual([
    expect.stringContaining(':warning: The cluster model stopped (its thread stopped: boom)'),
    ':white_check_mark: Cluster model restarted after its thread stopped: boom; change alerts resumed.',
  ]);
});

it('two stops further apart than the window are each posted with their restart', async () => {
  const { restarts, texts, clock, synced, settle } = restartsWithClock();
  for (let i = 0; i < 2; i++) {
    clock.t += LOOP_WINDOW_MS;
    restarts.stopped(OOM);
    clock.t += 30_000;
    synced();
  }
  await settle();
  expect(texts.map((t) => t.split(' ')[0])).toEqual([
    ':warning:',
    ':white_check_mark:',
    ':warning:',
    ':white_check_mark:',
  ]);
});
