// Runs in a worker thread: reads the snapshot and builds the answer, so the bot's event loop only
// acks and posts. Input and output are plain data (structured clone).

import type { RemediationPlan } from '../remediation/plans.js';
import type { SourceOptions } from '../snapshot/source.js';
import { type Answer, answer } from './answer.js';
import type { MtlsCommand } from './grammar.js';
import { PlanCache } from './plan-cache.js';
import { cachedSource } from './snapshot-cache.js';

export interface WorkerTask {
  readonly command: Exclude<MtlsCommand, { kind: 'help' | 'digest' }>;
  readonly source: SourceOptions;
  readonly istioctl?: string;
}

export interface WorkerResult {
  readonly answer: Answer;
  readonly plans: RemediationPlan[];
}

const sources = new Map<string, ReturnType<typeof cachedSource>>();

export default async function run(task: WorkerTask): Promise<WorkerResult> {
  const key = JSON.stringify(task.source);
  let load = sources.get(key);
  if (!load) {
    load = cachedSource(task.source);
    sources.set(key, load);
  }
  const plans = new PlanCache();
  const result = await answer(task.command, { load, plans, istioctl: task.istioctl });
  return { answer: result, plans: plans.all() };
}
