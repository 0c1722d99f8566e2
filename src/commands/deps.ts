import type { BotConfig } from '../config.js';
import type { AnswerDeps } from '../slack/answer.js';

/** What the Slack listeners need: the configuration and the engine's answers. */
export interface BotDeps {
  readonly config: BotConfig;
  readonly answer: AnswerDeps;
}
