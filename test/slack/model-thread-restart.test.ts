// The model's thread dying (an uncaught error, ERR_WORKER_OUT_OF_MEMORY; here piscina's worker is
// terminated): piscina replaces the thread, and the replacement must start the model again, alerts
// included, without waiting for a question.
import { afterAll, it, vi } from 'vitest';
import { createAnswerPool } from '../../src/slack/answer-pool.js';
import { PlanCache } from '../../src/slack/plan-cache.js';
import {
  type BurstOutcome,
  type ModelStatus,
  onModelAlert,
  onModelStatus,
} from '../../src/snapshot/live/model-source.js';
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
fake.update('PeerAuthentication', 'payments', 'default', (o) => {
  o.spec = { mtls: { mode: 'PERMISSIVE' } };
});
const setMode = (mode: string) =>
  fake.update('PeerAuthentication', 'payments', 'default', (o) => {
    o.spec = { mtls: { mode } };
  });
afterAll(() => fake.stop());

it('a model thread that died is replaced by one whose model alerts again, with no answer asked', async () => {
  const server = await fake.start();
  const engine = createAnswerPool({ kubeconfigPath: kubeconfigFile(server) }, new PlanCache(), undefined, {
    watch: true,
    alerts: { debounceMs: 200 },
  });
  const outcomes: BurstOutcome[] = [];
  const statuses: { at: number; status: ModelStatus }[] = [];
  const stopAlerts = onModelAlert((o) => outcomes.push(o));
  const stopStatus = onModelStatus((status) => statuses.push({ at: Date.now(), status }));
  try {
    await until(
      () => statuses.some((s) => s.status.synced) && fake.openWatches() >= 13,
      'first sync',
      15_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    setMode('STRICT');
    await until(() => outcomes.some((o) => 'id' in o), 'the first alert', 10_000);
    setMode('PERMISSIVE');
    await until(() => outcomes.some((o) => 'repair' in o), 'the repair', 10_000);

    const pool = (globalThis as { capturedPool?: { threads: { terminate(): Promise<number> }[] } })
      .capturedPool;
    await pool?.threads[0]?.terminate();
    const diedAt = Date.now();
    // The new thread's model syncs on its own: no answer is asked for.
    await until(
      () => statuses.some((s) => s.at > diedAt && s.status.synced),
      'a synced status from the new thread',
      15_000,
    );
    await until(() => fake.openWatches() >= 13, 'the new watches', 10_000);
    await new Promise((r) => setTimeout(r, 300));
    const before = outcomes.length;
    setMode('STRICT');
    await until(() => outcomes.slice(before).some((o) => 'id' in o), 'an alert from the new thread', 10_000);
  } finally {
    stopAlerts();
    stopStatus();
    await engine.close();
  }
}, 60_000);
