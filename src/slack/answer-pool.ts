// Answers `/mtls` commands, postures and incident diagnoses in worker threads (piscina), keeping the
// main event loop free to ack Slack within its 3 seconds however heavy the checks are.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { Posture } from '../digest/posture.js';
import type { PlanImpact } from '../impact/plan-impact.js';
import type { SourceOptions } from '../snapshot/source.js';
import type { Answer } from './answer.js';
import type { WorkerResult, WorkerTask } from './answer-worker.js';
import type { MtlsCommand } from './grammar.js';
import type { Symptom } from './incident-symptoms.js';
import type { PlanCache } from './plan-cache.js';

export type Answerer = (command: Exclude<MtlsCommand, { kind: 'help' | 'digest' }>) => Promise<Answer>;

export interface Engine {
  readonly answer: Answerer;
  readonly posture: () => Promise<Posture>;
  /**
   * The diagnosis of the namespace an incident message points at, if it can be located and is one of
   * `visible` (the channel's access rule; `*` = all); a located namespace outside it comes back alone.
   */
  readonly incident: (
    symptom: Symptom,
    visible: readonly string[],
  ) => Promise<{ namespace?: string; answer?: Answer }>;
  /** What writing this object (a fix's dry-run answer) would do to calls, on the current snapshot. */
  readonly impactOf?: (object: Record<string, unknown>) => Promise<PlanImpact>;
  /** The cluster was changed (a fix or rollback applied): the next answer reads it afresh. */
  readonly clusterChanged: () => void;
}

export interface AnswerPool extends Engine {
  close(): Promise<void>;
}

export function createAnswerPool(source: SourceOptions, plans: PlanCache, istioctl?: string): AnswerPool {
  const pool = new Piscina<WorkerTask, WorkerResult>({
    filename: workerFile(),
    // One core stays with the event loop.
    maxThreads: Math.max(1, availableParallelism() - 1),
    minThreads: 1,
    // Commands waiting on the worker's one snapshot read share it instead of queueing behind each other.
    concurrentTasksPerWorker: 16,
  });
  // Each worker thread caches its snapshot for a while; every task carries the cluster's generation,
  // and a worker that sees a newer one drops its cache, so a write reaches every thread's cache.
  let generation = 0;
  return {
    answer: async (command) => {
      const result = await pool.run({ kind: 'answer', command, source, generation, istioctl });
      if (result.kind !== 'answer') throw new Error('unexpected worker result');
      plans.remember(result.plans);
      return result.answer;
    },
    posture: async () => {
      const result = await pool.run({ kind: 'posture', source, generation });
      if (result.kind !== 'posture') throw new Error('unexpected worker result');
      return result.posture;
    },
    incident: async (symptom, visible) => {
      const result = await pool.run({ kind: 'incident', symptom, visible, source, generation });
      if (result.kind !== 'incident') throw new Error('unexpected worker result');
      plans.remember(result.plans);
      return { namespace: result.namespace, answer: result.answer };
    },
    impactOf: async (object) => {
      const result = await pool.run({ kind: 'impact', object, source, generation });
      if (result.kind !== 'impact') throw new Error('unexpected worker result');
      return result.impact;
    },
    clusterChanged: () => {
      generation += 1;
    },
    close: () => pool.destroy(),
  };
}

// Built code has answer-worker.js next to it. Run from the TypeScript sources (benchmark, development),
// the worker comes from the build, since worker threads do not get tsx's loader.
function workerFile(): string {
  for (const candidate of ['./answer-worker.js', '../../dist/src/slack/answer-worker.js']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(url)) return url.href;
  }
  throw new Error('the answer worker is not built: run npm run build');
}
