// What `mtls-doctor serve` runs: loads and validates the configuration, starts the answer workers, the
// stores and the ops server (health, metrics), then the Bolt app of this folder. Loaded only when the
// bot starts, so `serve --help` does not pay for Bolt, the Kubernetes client and SQLite.
import { webApi } from '@slack/bolt';
import { type BotConfig, ConfigError, loadConfig } from '../../src/config.js';
import { clusterProbe } from '../../src/ops/cluster-probe.js';
import { createLogger } from '../../src/ops/logger.js';
import { BotMetrics } from '../../src/ops/metrics.js';
import { modelReadiness, startOpsServer } from '../../src/ops/ops-server.js';
import { remediationApi } from '../../src/remediation/object-api.js';
import { createAnswerPool } from '../../src/slack/answer-pool.js';
import { IncidentThrottle } from '../../src/slack/incident-symptoms.js';
import { PlanCache } from '../../src/slack/plan-cache.js';
import { findIstioctl } from '../../src/snapshot/istioctl.js';
import { type ModelStatusReport, onModelAlert, onModelStatus } from '../../src/snapshot/live/model-source.js';
import { accessReviewer, revertAccess } from '../../src/snapshot/live/revert-access.js';
import { AuditLog } from '../../src/store/audit-store.js';
import { RequestStore } from '../../src/store/request-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { type Io, openStore, UsageError } from '../cli-kit.js';
import { EVENTS_PATH, slackClientOptions, startBot } from './bot.js';
import { changeAlertPoster } from './change-alerts.js';
import { modelRestarts } from './model-restarts.js';

export interface ServeOptions {
  file?: string[];
  config?: string;
  context?: string;
  kubeconfig?: string;
}

/** Runs the bot until SIGINT or SIGTERM, then closes what it opened. */
export async function runServe(options: ServeOptions, io: Io): Promise<void> {
  let config: BotConfig;
  try {
    config = loadConfig(process.env, options.config ?? process.env.MTLS_DOCTOR_CONFIG);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  const istioctl = await findIstioctl(config.istioctl);
  const kube = config.kubernetes ?? {};
  const context = options.context ?? kube.context;
  const kubeconfigPath = options.kubeconfig ?? kube.kubeconfig;
  // What a setting can break is opened before the answer workers start: a bad setting is one line
  // and an exit, not a stack trace (nor a process that idle workers keep alive).
  // The object API fixes go through, every request with a timeout (a bad context exits 2).
  const objects = options.file?.length
    ? undefined
    : remediationApi({ context, kubeconfigPath, timeoutMs: kube.requestTimeoutMs ?? 30_000 });
  const store = openStore('store.path', config.storePath, (path) => new SqliteStore(path));
  // With a live cluster, fixes can be requested, approved and applied; with manifests only shown.
  const remediation = objects && {
    objects,
    audit: openStore('store.path', config.storePath, (path) => new AuditLog(path)),
    requests: openStore('store.path', config.storePath, (path) => new RequestStore(path)),
  };
  const plans = new PlanCache();
  const logger = createLogger();
  // Breaking changes the model finds, and its restarts, are posted from here, where a Slack client lives.
  const alertClient =
    objects && config.watch?.channels.length
      ? new webApi.WebClient(config.slack.botToken, slackClientOptions(config))
      : undefined;
  const restarts = objects ? modelRestarts({ config, logger, client: alertClient }) : undefined;
  const pool = createAnswerPool(
    {
      files: options.file,
      context,
      kubeconfigPath,
      requestTimeoutMs: kube.requestTimeoutMs,
      readCaSecret: kube.readCaSecret,
      cwd: io.cwd,
    },
    plans,
    istioctl,
    // A live cluster is watched: one model kept current, answers without requests; with
    // watch.channels, bursts of changes that break pairs are alerted.
    {
      watch: objects !== undefined,
      alerts: config.watch?.channels.length
        ? { debounceMs: (config.watch.debounceSeconds ?? 5) * 1000 }
        : undefined,
      onModelThreadStopped: restarts?.stopped,
    },
  );
  const metrics = new BotMetrics();
  let model: ModelStatusReport | undefined;
  const stopStatus = objects
    ? onModelStatus((status) => {
        model = status;
        metrics.observeModel(status);
        restarts?.status(status);
      })
    : undefined;
  const bot = await startBot(config, {
    remediation,
    engine: pool,
    plans,
    logger,
    metrics,
    store,
    throttle: new IncidentThrottle((config.incidents?.cooldownMinutes ?? 30) * 60_000),
  });
  let stopAlerts: (() => void) | undefined;
  if (alertClient) {
    // A short timeout of its own: an alert waits for the review, and no answer only means no button.
    const reviews = remediationApi({ context, kubeconfigPath, timeoutMs: 5_000 });
    const mayRevert = revertAccess(accessReviewer(reviews));
    const post = changeAlertPoster({ config, plans, logger, client: alertClient, mayRevert });
    stopAlerts = onModelAlert((alert) => void post(alert));
  }
  // The watched model proves the cluster answers (and says when a watch is down) without a request.
  const probeCluster = objects
    ? modelReadiness(() => model)
    : clusterProbe(options.file, context, kubeconfigPath);
  const ops = await startOpsServer(config.opsPort, metrics, {
    slack: async () => bot.slackReady(),
    cluster: probeCluster,
  });
  const source = options.file?.length ? `manifests ${options.file.join(', ')}` : 'the live cluster';
  io.stderr(
    bot.mode === 'http'
      ? `mtls-doctor bot listening on port ${bot.port} (HTTP ${EVENTS_PATH}, Slack signatures verified), diagnosing ${source}; health and metrics on port ${ops.port}\n`
      : `mtls-doctor bot ${bot.slackReady().ok ? 'connected to Slack' : 'connecting to Slack'} (Socket Mode), diagnosing ${source}; health and metrics on port ${ops.port}\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await bot.stop();
  await ops.close();
  await pool.close();
  stopStatus?.();
  stopAlerts?.();
  store.close();
  remediation?.audit.close();
  remediation?.requests.close();
}
