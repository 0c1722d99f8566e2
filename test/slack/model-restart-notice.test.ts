// The model's thread stopping is said in the watch channels and the log, and so is the restarted
// model's sync: change alerts are silent in between, and a silence nobody explains reads as "all well".
import { PassThrough } from 'node:stream';
import { webApi } from '@slack/bolt';
import { afterAll, expect, it, vi } from 'vitest';
import { modelRestarts } from '../../commands/serve/model-restarts.js';
import type { BotConfig } from '../../src/config.js';
import { createLogger } from '../../src/ops/logger.js';
import { createAnswerPool } from '../../src/slack/answer-pool.js';
import { PlanCache } from '../../src/slack/plan-cache.js';
import { onModelStatus } from '../../src/snapshot/live/model-source.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';
import { until } from '../helpers/until.js';

// A real piscina, kept where the test can reach its thread.
vi.mock('piscina', async (original) => {
  const m = (await original()) as typeof import('piscina');
  class Captured extends m.Piscina {
    constructor(options: ConstructorParameters<typeof m.Piscina>[0]) {
      super(options);
      (globalThis as { capturedPool?: unknown }).capturedPool = this;
    }
  }
  return { ...m, Piscina: Captured };
});

const fake = paymentsCluster();
const slack = new FakeSlack();
afterAll(async () => {
  await fake.stop();
  await slack.stop();
});

it('a stopped model thread and the resync of its replacement are posted to the watch channels and logged', async () => {
  const kubeconfigPath = kubeconfigFile(await fake.start());
  const config = {
    slack: { botToken: 'xoxb-test', apiUrl: `${await slack.start()}/api/` },
    access: { channels: { C0OPS: ['*'] } },
    watch: { channels: ['C0OPS'] },
  } as unknown as BotConfig;
  const lines: string[] = [];
  const log = new PassThrough();
  log.on('data', (chunk: Buffer) => lines.push(...chunk.toString().trim().split('\n')));
  const client = new webApi.WebClient('xoxb-test', { slackApiUrl: config.slack.apiUrl });
  const restarts = modelRestarts({ config, logger: createLogger('info', log), client });
  const stopStatus = onModelStatus(restarts.status);
  const engine = createAnswerPool({ kubeconfigPath }, new PlanCache(), undefined, {
    watch: true,
    alerts: { debounceMs: 200 },
    onModelThreadStopped: restarts.stopped,
  });
  const posted = () =>
    slack.calls.filter((c) => c.method === 'chat.postMessage').map((c) => [c.args.channel, c.args.text]);
  type Pool = { threads: { terminate(): Promise<number>; emit(event: 'error', e: Error): boolean }[] };
  const thread = () => (globalThis as { capturedPool?: Pool }).capturedPool?.threads[0];
  try {
    await until(() => fake.openWatches() >= 13, 'the first watches', 15_000);
    await thread()?.terminate();
    await until(() => posted().length >= 2, 'the stop and the restart posted', 20_000);
    expect(posted()).toEqual([
      [
        'C0OPS',
        ':warning: The cluster model stopped (its thread stopped: it exited with code 1). It is restarting; until it has synced again, change alerts are paused and answers wait for it.',
      ],
      [
        'C0OPS',
        ':white_check_mark: Cluster model restarted after its thread stopped: it exited with code 1; change alerts resumed.',
      ],
    ]);
    const logged = lines.map((l) => JSON.parse(l) as { level: number; msg: string; reason?: string });
    expect(logged.map((l) => [l.level, l.msg, l.reason])).toEqual([
      [50, 'cluster model thread stopped: restarting the model', 'it exited with code 1'],
      [
        30,
        'cluster model restarted after its thread stopped; change alerts resumed',
        'it exited with code 1',
      ],
    ]);
    // An uncaught error in the thread (as Node reports it): named, and the bot itself carries on. A
    // second stop this soon is a restart loop: one notice, and its restart only logged.
    await until(() => fake.openWatches() >= 13, 'the new watches', 10_000);
    thread()?.emit('error', new Error('boom in a watch callback'));
    await until(() => posted().length >= 3, 'the second stop posted', 20_000);
    expect(
      posted()
        .slice(2)
        .map(([, text]) => text),
    ).toEqual([
      expect.stringMatching(/restarting repeatedly \(2 times since .*; last: boom in a watch callback\)/),
    ]);
    await until(
      () => lines.filter((l) => l.includes('cluster model restarted')).length >= 2,
      'the second restart logged',
      20_000,
    );
    expect(posted()).toHaveLength(3);
  } finally {
    stopStatus();
    await engine.close();
  }
}, 60_000);
