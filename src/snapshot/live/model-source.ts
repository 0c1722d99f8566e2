// The live model as a snapshot source for `serve`: one ClusterModel per process (the thread that
// answers), answers read from it without any request, and its status broadcast to the main thread
// (readiness, metrics) so that nothing there needs a copy of the model.
import { BroadcastChannel } from 'node:worker_threads';
import { ClusterUnavailableError } from '../errors.js';
import type { LoadedSource, SourceOptions } from '../source.js';
import type { Gap } from '../types.js';
import { createKubeApi, kubeConfigFromFile, loadKubeConfig } from './kube-api.js';
import { ClusterModel, type ModelOptions, type ModelStatus, type WrittenObject } from './model.js';
import { type AlertsHeld, type BreakingChange, ChangeAlerts, type Repair } from './watch-alerts.js';
import { StreamWatch } from './watch-stream.js';

export type { AlertsHeld, BreakingChange, ModelStatus, Repair, WrittenObject };

/** Compare bursts of changes and broadcast the breaking ones (`serve` with watch.channels). */
export interface AlertOptions {
  readonly debounceMs: number;
}

/** What an answer from the model carries: the bot's recent writes, and how the model is made. */
export interface LiveRead {
  /** The bot's recent writes: the answer waits (bounded) until the model shows them. */
  readonly writes?: readonly WrittenObject[];
  /** Whoever creates the model creates it with these, so a replaced thread's model alerts too. */
  readonly alerts?: AlertOptions;
}

export interface ModelSourceOptions extends ModelOptions {
  readonly context?: string;
  readonly kubeconfigPath?: string;
  readonly requestTimeoutMs?: number;
}

/** The model's settings from the bot's source settings (the same cluster, context and opt-ins). */
export function modelSourceOptions(source: SourceOptions): ModelSourceOptions {
  return {
    context: source.context,
    kubeconfigPath: source.kubeconfigPath,
    requestTimeoutMs: source.requestTimeoutMs,
    readCaSecret: source.readCaSecret,
    pageSize: source.pageSize,
  };
}

/** How long an answer waits for the first sync, and for the bot's own writes to come through the watch. */
export const SYNC_WAIT_MS = 30_000;
export const WRITE_WAIT_MS = 5_000;

/** How often the model's thread says its status even when nothing changed. */
export const STATUS_HEARTBEAT_MS = 5_000;

/** A status as broadcast: `at` is when it was sent (epoch ms), so a silent thread shows as stale. */
export interface ModelStatusReport extends ModelStatus {
  readonly at: number;
}

const STATUS_CHANNEL = 'mtls-doctor:model-status';
const ALERT_CHANNEL = 'mtls-doctor:model-alerts';
const models = new Map<string, { model: ClusterModel; server: string }>();

/**
 * The process's model for these options, started (and watching) from the first call on; with `alerts`,
 * breaking changes are compared and broadcast to the main thread (which posts them).
 */
export function liveModel(
  options: ModelSourceOptions,
  alerts?: AlertOptions,
): { model: ClusterModel; server: string } {
  const key = JSON.stringify(options);
  let entry = models.get(key);
  if (!entry) {
    const kubeConfig = options.kubeconfigPath ? kubeConfigFromFile(options.kubeconfigPath) : loadKubeConfig();
    // createKubeApi selects the context on this config: the watches then use the same one.
    const api = createKubeApi({
      context: options.context,
      kubeConfig,
      requestTimeoutMs: options.requestTimeoutMs,
    });
    const model = new ClusterModel(api, new StreamWatch(kubeConfig), options);
    const channel = new BroadcastChannel(STATUS_CHANNEL);
    channel.unref();
    const publish = (status: ModelStatus) =>
      channel.postMessage({ ...status, at: Date.now() } satisfies ModelStatusReport);
    model.onStatus(publish);
    if (alerts) {
      const alertChannel = new BroadcastChannel(ALERT_CHANNEL);
      alertChannel.unref();
      const tracker = new ChangeAlerts(model, {
        debounceMs: alerts.debounceMs,
        onAlert: (alert) => alertChannel.postMessage(alert),
        onRepaired: (repair) => alertChannel.postMessage({ repair }),
        // Said too, so the main thread can log that a burst was compared and broke nothing.
        onEvaluated: (alert) => {
          if (!alert) alertChannel.postMessage({ harmless: true });
        },
        onError: (error) => alertChannel.postMessage({ error: error.message }),
        onHeld: (held) => alertChannel.postMessage({ held }),
      });
      void tracker.start();
    }
    model.start();
    // Sync ages grow while a watch is down: say so regularly, not only on changes. The beat also tells
    // the main thread that this thread (and its model) still runs: readiness fails when it stops.
    setInterval(() => publish(model.status()), STATUS_HEARTBEAT_MS).unref();
    entry = { model, server: api.server };
    models.set(key, entry);
  }
  return entry;
}

/** What a compared burst of changes came to: an alert, nothing broken, or a comparison that failed. */
export type BurstOutcome =
  | BreakingChange
  | { readonly repair: Repair }
  | { readonly harmless: true }
  | { readonly held: AlertsHeld }
  | { readonly error: string };

/** Listens (in the main thread) to what the answering thread's model found in each burst of changes. */
export function onModelAlert(listener: (outcome: BurstOutcome) => void): () => void {
  const channel = new BroadcastChannel(ALERT_CHANNEL);
  channel.unref();
  channel.onmessage = (event) => listener((event as { data: BurstOutcome }).data);
  return () => channel.close();
}

/** Stops every model of this process (tests, shutdown). */
export function stopLiveModels(): void {
  for (const { model } of models.values()) model.stop();
  models.clear();
}

/** Listens (in the main thread) to the status the answering thread's model broadcasts. */
export function onModelStatus(listener: (status: ModelStatusReport) => void): () => void {
  const channel = new BroadcastChannel(STATUS_CHANNEL);
  channel.unref();
  channel.onmessage = (event) => listener((event as { data: ModelStatusReport }).data);
  return () => channel.close();
}

/**
 * A load function for one answer: waits for the first sync, then for the bot's own recent writes to
 * show in the model (bounded; past the bound the answer carries a gap saying it may be stale).
 */
export function modelSource(
  options: ModelSourceOptions,
  live: LiveRead = {},
  waits = { syncMs: SYNC_WAIT_MS, writeMs: WRITE_WAIT_MS },
): () => Promise<LoadedSource> {
  const writes = live.writes ?? [];
  let loaded: Promise<LoadedSource> | undefined;
  return () => {
    loaded ??= (async () => {
      const { model, server } = liveModel(options, live.alerts);
      await model.whenSettled(waits.syncMs);
      const status = model.status();
      // Nothing ever read: no answer at all (as a one-shot read that reads nothing), never "no namespace".
      // (An optional kind that failed counts as synced, so as not to hold answers back; not as read.)
      if (!status.kinds.some((k) => k.synced && !k.gap?.optional)) {
        const reasons = [...new Set(status.kinds.flatMap((k) => (k.gap ? [k.gap.reason] : [])))];
        throw new ClusterUnavailableError(
          `cannot read the cluster at ${server}: ${reasons.slice(0, 3).join('; ') || 'no answer yet from the API server'}`,
        );
      }
      const seen = writes.length === 0 || (await model.seen(writes, waits.writeMs));
      const started = performance.now();
      const snapshot = model.snapshot(seen ? [] : [staleGap(writes, waits.writeMs)]);
      return {
        snapshot,
        readMs: performance.now() - started,
        source: { kind: 'cluster', server, requests: 0 },
      };
    })();
    return loaded;
  };
}

function staleGap(writes: readonly WrittenObject[], waitedMs: number): Gap {
  const what = writes
    .map(
      (w) =>
        `${w.kind} ${w.namespace ? `${w.namespace}/` : ''}${w.name} at resourceVersion ${w.resourceVersion}`,
    )
    .join(', ');
  return {
    source: `watch (this view may be stale: ${what} not seen after ${Math.round(waitedMs / 1000)} s)`,
    reason:
      "the bot's own change has not come through the watch yet: this answer may show the state from before it",
  };
}
