// /readyz after the model's thread stops: the last status it sent says "synced" forever, so readiness
// goes by its age (heartbeats), answers 503 with the reason once it is stale, and recovers when a
// model speaks again.
import { afterAll, expect, it } from 'vitest';
import { BotMetrics } from '../../src/ops/metrics.js';
import { modelReadiness, startOpsServer } from '../../src/ops/ops-server.js';
import { createAnswerPool } from '../../src/slack/answer-pool.js';
import { PlanCache } from '../../src/slack/plan-cache.js';
import { type ModelStatusReport, onModelStatus } from '../../src/snapshot/live/model-source.js';
import { kubeconfigFile, paymentsCluster } from '../helpers/payments-cluster.js';
import { until } from '../helpers/until.js';

const fake = paymentsCluster();
afterAll(() => fake.stop());

// Past one 5 s heartbeat and a late one: what the test waits for, not the 15 s the bot uses.
const STALE_MS = 8_000;

it('readiness fails with the reason when the model stops saying its status, and recovers when it resumes', async () => {
  const source = { kubeconfigPath: kubeconfigFile(await fake.start()) };
  let last: ModelStatusReport | undefined;
  const stopStatus = onModelStatus((status) => {
    last = status;
  });
  const ops = await startOpsServer(0, new BotMetrics(), { cluster: modelReadiness(() => last, STALE_MS) });
  const readyz = async () => {
    const res = await fetch(`http://127.0.0.1:${ops.port}/readyz`);
    return { status: res.status, body: (await res.json()) as { checks: { cluster: { detail: string } } } };
  };
  let engine = createAnswerPool(source, new PlanCache(), undefined, { watch: true });
  try {
    await until(async () => (await readyz()).status === 200, 'ready after the first sync', 15_000);
    expect(last?.at).toBeGreaterThan(Date.now() - STALE_MS);
    // The model's thread goes away, and with it every status.
    await engine.close();
    await until(
      async () => (await readyz()).status === 503,
      'not ready once the status is stale',
      STALE_MS + 6_000,
    );
    expect((await readyz()).body.checks.cluster.detail).toMatch(
      /^not ready: no status from the cluster model for \d+ s \(over 8 s\): its thread stopped or hangs/,
    );
    // A model that speaks again makes it ready again.
    engine = createAnswerPool(source, new PlanCache(), undefined, { watch: true });
    await until(async () => (await readyz()).status === 200, 'ready again', 15_000);
    expect((await readyz()).body.checks.cluster.detail).toBe('cluster model synced; every watch is current');
  } finally {
    stopStatus();
    await engine.close();
    await ops.close();
  }
}, 60_000);
