import type { KubernetesObjectApi } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { BotConfig } from '../config.js';
import type { BotMetrics } from '../ops/metrics.js';
import type { Engine } from '../slack/answer-pool.js';
import type { IncidentThrottle } from '../slack/incident-symptoms.js';
import type { PlanCache } from '../slack/plan-cache.js';
import type { AuditStore } from '../store/audit-store.js';
import type { FixRequestStore } from '../store/request-store.js';
import type { StateStore } from '../store/sqlite-store.js';

/** What the Slack listeners need: configuration, the engine, offered plans, state, metrics, logs. */
export interface BotDeps {
  readonly config: BotConfig;
  readonly engine: Engine;
  readonly plans: PlanCache;
  readonly store: StateStore;
  readonly throttle: IncidentThrottle;
  readonly metrics: BotMetrics;
  readonly logger: Logger;
  /** Present when the bot reads a live cluster: fixes can then be requested, approved and applied. */
  readonly remediation?: {
    readonly objects: KubernetesObjectApi;
    readonly audit: AuditStore;
    readonly requests: FixRequestStore;
  };
}
