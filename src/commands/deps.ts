import type { BotConfig } from '../config.js';
import type { Answerer } from '../slack/answer-pool.js';
import type { PlanCache } from '../slack/plan-cache.js';

/** What the Slack listeners need: the configuration, the engine's answers and the offered plans. */
export interface BotDeps {
  readonly config: BotConfig;
  readonly answer: Answerer;
  readonly plans: PlanCache;
}
