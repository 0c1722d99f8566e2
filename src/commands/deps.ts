import type { Logger } from 'pino';
import type { BotConfig } from '../config.js';
import type { BotMetrics } from '../ops/metrics.js';
import type { Answerer } from '../slack/answer-pool.js';
import type { PlanCache } from '../slack/plan-cache.js';

/** What the Slack listeners need: configuration, the engine's answers, offered plans, metrics, logs. */
export interface BotDeps {
  readonly config: BotConfig;
  readonly answer: Answerer;
  readonly plans: PlanCache;
  readonly metrics: BotMetrics;
  readonly logger: Logger;
}
