// Answers `/mtls` commands in worker threads (piscina), keeping the main event loop free to ack
// Slack within its 3 seconds however heavy the checks are.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { SourceOptions } from '../snapshot/source.js';
import type { Answer } from './answer.js';
import type { WorkerResult, WorkerTask } from './answer-worker.js';
import type { MtlsCommand } from './grammar.js';
import type { PlanCache } from './plan-cache.js';

export type Answerer = (command: WorkerTask['command']) => Promise<Answer>;

export interface AnswerPool {
  readonly answer: Answerer;
  close(): Promise<void>;
}

export function createAnswerPool(source: SourceOptions, plans: PlanCache, istioctl?: string): AnswerPool {
  const pool = new Piscina<WorkerTask, WorkerResult>({
    filename: workerFile(),
    // One core stays with the event loop.
    maxThreads: Math.max(1, availableParallelism() - 1),
    minThreads: 1,
  });
  return {
    answer: async (command: Exclude<MtlsCommand, { kind: 'help' | 'digest' }>) => {
      const result = await pool.run({ command, source, istioctl });
      plans.remember(result.plans);
      return result.answer;
    },
    close: () => pool.destroy(),
  };
}

// Built code has answer-worker.js next to it. Run from the TypeScript sources (benchmark, development),
// the worker comes from the build, since worker threads do not get tsx's loader.
function workerFile(): string {
  for (const candidate of ['./answer-worker.js', '../../dist/slack/answer-worker.js']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(url)) return url.href;
  }
  throw new Error('the answer worker is not built: run npm run build');
}
