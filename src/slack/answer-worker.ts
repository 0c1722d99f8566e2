// Runs in a worker thread: reads the snapshot and builds answers, postures and incident diagnoses, so
// the bot's event loop only acks and posts. Input and output are plain data (structured clone).
import { getPriority, setPriority } from 'node:os';
import { type Posture, postureOf } from '../digest/posture.js';
import { blockingGaps, diagnoseShared, knownNamespaces } from '../engine/diagnose.js';
import type { Written } from '../impact/apply-object.js';
import { type PlanImpact, planImpact } from '../impact/plan-impact.js';
import type { RemediationPlan } from '../remediation/plans.js';
import { escapeSlack, gapLines } from '../render/blocks.js';
import { type LiveRead, liveModel, modelSource, modelSourceOptions } from '../snapshot/live/model-source.js';
import type { LoadedSource, SourceOptions } from '../snapshot/source.js';
import { type Answer, answer, plain, unknownNamespace } from './answer.js';
import type { MtlsCommand } from './grammar.js';
import type { Symptom } from './incident-symptoms.js';
import { PlanCache } from './plan-cache.js';
import { cachedSource } from './snapshot-cache.js';

/**
 * Present when the bot serves a live cluster: answers come from the watched model (one per process),
 * and every task says how to make it, so a thread that replaces a dead one makes the same model.
 */
export type LiveTask = LiveRead;

export type WorkerTask = (
  | {
      readonly kind: 'answer';
      readonly command: Exclude<MtlsCommand, { kind: 'help' | 'digest' }>;
      readonly source: SourceOptions;
      readonly generation: number;
      readonly istioctl?: string;
    }
  | { readonly kind: 'posture'; readonly source: SourceOptions; readonly generation: number }
  | {
      readonly kind: 'impact';
      /** What a fix would write (its dry run's answer) or delete. */
      readonly written: Written;
      readonly source: SourceOptions;
      readonly generation: number;
    }
  | {
      readonly kind: 'incident';
      readonly symptom: Symptom;
      /** The namespaces the incident channel may see (`*` = all): no other is diagnosed. */
      readonly visible: readonly string[];
      readonly source: SourceOptions;
      readonly generation: number;
    }
  | { readonly kind: 'start-model'; readonly source: SourceOptions; readonly generation: number }
) & { readonly live?: LiveTask };

export type WorkerResult =
  | { readonly kind: 'answer'; readonly answer: Answer; readonly plans: RemediationPlan[] }
  | { readonly kind: 'posture'; readonly posture: Posture }
  | { readonly kind: 'impact'; readonly impact: PlanImpact }
  | {
      readonly kind: 'incident';
      readonly namespace?: string;
      readonly answer?: Answer;
      readonly plans: RemediationPlan[];
    }
  | { readonly kind: 'started' };

// Answers run below the event loop's priority: when both want the CPU, a burst's acks (the main thread)
// get most of it and the checks the rest. On Linux the nice value belongs to the calling thread, so only this thread
// is lowered; elsewhere it would lower the whole process, so it is left alone.
const ANSWER_NICENESS = 5;
if (process.platform === 'linux') {
  try {
    setPriority(0, Math.min(19, getPriority(0) + ANSWER_NICENESS));
  } catch {
    // Not permitted (a restricted sandbox): answers simply share the CPU evenly.
  }
}

const sources = new Map<string, { generation: number; load: ReturnType<typeof cachedSource> }>();

// A task from a newer generation (the bot changed the cluster since) gets a fresh read, never the cache.
function sourceFor(options: SourceOptions, generation: number): ReturnType<typeof cachedSource> {
  const key = JSON.stringify(options);
  let cached = sources.get(key);
  if (!cached || cached.generation < generation) {
    cached = { generation, load: cachedSource(options) };
    sources.set(key, cached);
  }
  return cached.load;
}

export default async function run(task: WorkerTask): Promise<WorkerResult> {
  if (task.kind === 'start-model') {
    liveModel(modelSourceOptions(task.source), task.live?.alerts);
    return { kind: 'started' };
  }
  const load = task.live
    ? modelSource(modelSourceOptions(task.source), task.live)
    : sourceFor(task.source, task.generation);
  if (task.kind === 'posture') {
    const loaded = await load();
    const now = new Date();
    const diagnosis = diagnoseShared(loaded.snapshot, undefined, now);
    return { kind: 'posture', posture: postureOf(diagnosis, now) };
  }
  if (task.kind === 'impact') {
    const loaded = await load();
    const now = new Date();
    const beforeDiagnosis = diagnoseShared(loaded.snapshot, undefined, now);
    return { kind: 'impact', impact: planImpact(loaded.snapshot, task.written, { beforeDiagnosis, now }) };
  }
  const plans = new PlanCache();
  if (task.kind === 'answer') {
    const result = await answer(task.command, { load, plans, istioctl: task.istioctl });
    return { kind: 'answer', answer: result, plans: plans.all() };
  }
  // An incident names a namespace, or only a service: find the namespace that has it (if exactly one).
  const loaded = await load();
  let namespace = task.symptom.namespace;
  if (namespace && !knownNamespaces(loaded.snapshot).has(namespace)) namespace = undefined;
  const visible = (ns: string) => task.visible.includes('*') || task.visible.includes(ns);
  if (!namespace && task.symptom.service) {
    const owners = [
      ...new Set(
        loaded.snapshot.services
          .filter((s) => s.meta.name === task.symptom.service)
          .map((s) => s.meta.namespace),
      ),
    ];
    // A service name shared by several namespaces is still unambiguous if the channel sees only one.
    const seen = owners.filter(visible);
    if (owners.length === 1) namespace = owners[0];
    else if (seen.length === 1) namespace = seen[0];
  }
  if (!namespace) return unlocated(task, loaded, visible);
  if (!visible(namespace)) return { kind: 'incident', namespace, plans: [] };
  const result = await answer({ kind: 'check', namespace }, { load, plans });
  return { kind: 'incident', namespace, answer: result, plans: plans.all() };
}

/**
 * An incident whose namespace or service is not in the snapshot. With a complete read that is the end
 * of it (nothing is posted); with gaps, what could not be read may hold it, and the channel is told so:
 * about the named namespace if it may see it, about a service alone only if it may see every namespace.
 */
function unlocated(
  task: Extract<WorkerTask, { kind: 'incident' }>,
  loaded: LoadedSource,
  visible: (ns: string) => boolean,
): WorkerResult {
  const gaps = blockingGaps(loaded.snapshot);
  const named = task.symptom.namespace;
  if (gaps.length === 0) return { kind: 'incident', plans: [] };
  if (named)
    return visible(named)
      ? { kind: 'incident', namespace: named, answer: unknownNamespace(loaded, named), plans: [] }
      : { kind: 'incident', namespace: named, plans: [] };
  const service = task.symptom.service;
  // A service found in several namespaces is ambiguous, not missing: nothing to add.
  const found = loaded.snapshot.services.some((s) => s.meta.name === service);
  if (!service || found || !task.visible.includes('*')) return { kind: 'incident', plans: [] };
  const text = `:grey_question: Could not find service \`${escapeSlack(service)}\`: it is not in what I could read, and what I could not read may hold it.\n${gapLines(gaps)}`;
  return {
    kind: 'incident',
    answer: {
      message: plain(text),
      verdict: 'incomplete',
      findings: [],
      gaps: gaps.map((g) => g.source),
    },
    plans: [],
  };
}
