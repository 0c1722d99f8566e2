// Answers `/mtls` commands, postures and incident diagnoses in worker threads (piscina), keeping the
// main event loop free to ack Slack within its 3 seconds however heavy the checks are.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Posture } from '../digest/posture.js';
import type { Written } from '../impact/apply-object.js';
import type { PlanImpact } from '../impact/plan-impact.js';
import type { WrittenObject } from '../snapshot/live/model.js';
import type { AlertOptions } from '../snapshot/live/model-source.js';
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
  readonly impactOf?: (written: Written) => Promise<PlanImpact>;
  /**
   * The cluster was changed (a fix or rollback applied): the next answer reads it afresh, or, from the
   * watched model, once the model shows `written` (the object as the API server answered the write).
   */
  readonly clusterChanged: (written?: WrittenObject) => void;
}

export interface AnswerPool extends Engine {
  close(): Promise<void>;
}

// The bot's own writes are waited for by the answers that follow them for this long.
const WRITES_KEPT_MS = 60_000;

export interface AnswerPoolOptions {
  /**
   * Answer from one watched model of the live cluster (src/snapshot/live/model.ts) instead of a read
   * per snapshot: the model lives in a single answering thread, so there is one copy and no snapshot
   * crosses threads (a structured clone of a large mesh's snapshot costs more than answering from it).
   */
  readonly watch?: boolean;
  /** With `watch`: compare bursts of changes and broadcast those that break pairs (src/snapshot/live/watch-alerts.ts). */
  readonly alerts?: AlertOptions;
  /**
   * With `watch`: the model's thread stopped (an uncaught error, out of memory, terminated), saying
   * why; piscina starts another, whose model starts over (first sync, then alerts again).
   */
  readonly onModelThreadStopped?: (reason: string) => void;
}

export function createAnswerPool(
  source: SourceOptions,
  plans: PlanCache,
  istioctl?: string,
  options: AnswerPoolOptions = {},
): AnswerPool {
  const pool = new Piscina<WorkerTask, WorkerResult>({
    filename: workerFile(),
    // One core stays with the event loop; with the model, one thread holds it (and never idles out),
    // taking several tasks at a time so that one waiting for a write does not hold up the others.
    // Its event loop must run between tasks (the watches): piscina's default blocks an idle worker.
    ...(options.watch
      ? {
          maxThreads: 1,
          minThreads: 1,
          idleTimeout: Number.POSITIVE_INFINITY,
          concurrentTasksPerWorker: 4,
          atomics: 'disabled' as const,
        }
      : {
          maxThreads: Math.max(1, availableParallelism() - 1),
          minThreads: 1,
          // Commands waiting on the worker's one snapshot read share it instead of queueing.
          concurrentTasksPerWorker: 16,
        }),
  });
  // Each worker thread caches its snapshot for a while; every task carries the cluster's generation,
  // and a worker that sees a newer one drops its cache, so a write reaches every thread's cache.
  let generation = 0;
  let writes: { at: number; object: WrittenObject }[] = [];
  const live = () => {
    if (!options.watch) return undefined;
    writes = writes.filter((w) => Date.now() - w.at < WRITES_KEPT_MS);
    return { writes: writes.map((w) => w.object), alerts: options.alerts };
  };
  // The model starts with its thread, not with the first question (readiness waits for its first
  // sync): the first thread, and any thread piscina starts in place of one that died, which would
  // otherwise have no model, hence no alerts, until an answer made one.
  let closing = false;
  if (options.watch) {
    pool.on('workerCreate', (created: { id: number }) => {
      const thread = pool.threads.find((t) => t.threadId === created.id);
      if (thread) watchModelThread(thread, () => closing, options.onModelThreadStopped);
      void pool.run({ kind: 'start-model', source, generation, live: live() }).catch(() => {});
    });
    // A thread's uncaught error with no task running is emitted here: unheard, it would end the
    // process; heard, the thread is replaced (and its stop reported by watchModelThread).
    pool.on('error', () => {});
  }
  return {
    answer: async (command) => {
      const result = await pool.run({ kind: 'answer', command, source, generation, istioctl, live: live() });
      if (result.kind !== 'answer') throw new Error('unexpected worker result');
      plans.remember(result.plans);
      return result.answer;
    },
    posture: async () => {
      const result = await pool.run({ kind: 'posture', source, generation, live: live() });
      if (result.kind !== 'posture') throw new Error('unexpected worker result');
      return result.posture;
    },
    incident: async (symptom, visible) => {
      const result = await pool.run({ kind: 'incident', symptom, visible, source, generation, live: live() });
      if (result.kind !== 'incident') throw new Error('unexpected worker result');
      plans.remember(result.plans);
      return { namespace: result.namespace, answer: result.answer };
    },
    impactOf: async (written) => {
      const result = await pool.run({ kind: 'impact', written, source, generation, live: live() });
      if (result.kind !== 'impact') throw new Error('unexpected worker result');
      return result.impact;
    },
    clusterChanged: (written) => {
      generation += 1;
      if (written) writes.push({ at: Date.now(), object: written });
    },
    close: () => {
      closing = true;
      return pool.destroy();
    },
  };
}

// Reports the model thread's end, unless the pool is closing: its uncaught error, or its exit code.
function watchModelThread(
  thread: Worker,
  closing: () => boolean,
  stopped: ((reason: string) => void) | undefined,
): void {
  let error: Error | undefined;
  thread.once('error', (e: Error) => {
    error = e;
  });
  thread.once('exit', (code) => {
    if (!closing()) stopped?.(error ? error.message : `it exited with code ${code}`);
  });
}

// Built code has answer-worker.js next to it (tsc's dist/src/slack/, and the bundle's dist/cli/, where it
// is an entry point of its own). Run from the TypeScript sources (benchmark, development),
// the worker comes from the build, since worker threads do not get tsx's loader.
function workerFile(): string {
  for (const candidate of ['./answer-worker.js', '../../dist/src/slack/answer-worker.js']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(url)) return url.href;
  }
  throw new Error('the answer worker is not built: run npm run build');
}
