import type { KubernetesObjectApi } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { BotConfig } from '../../src/config.js';
import type { BotMetrics } from '../../src/ops/metrics.js';
import type { Engine } from '../../src/slack/answer-pool.js';
import type { IncidentThrottle } from '../../src/slack/incident-symptoms.js';
import type { PlanCache } from '../../src/slack/plan-cache.js';
import type { AuditStore } from '../../src/store/audit-store.js';
import type { FixRequestStore } from '../../src/store/request-store.js';
import type { StateStore } from '../../src/store/sqlite-store.js';

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
