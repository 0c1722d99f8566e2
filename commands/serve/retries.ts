// Slack redelivers a request it thinks went unanswered (HTTP: the X-Slack-Retry-Num header; Socket
// Mode: retry_attempt). The first delivery was acked and is being handled, so a retry is acked and
// dropped: a check or a change never runs twice for one click or command.
import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { BotDeps } from './deps.js';

export function ignoreSlackRetries(deps: Pick<BotDeps, 'logger'>): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const { context, next } = args;
    const retryNum = context.retryNum ?? 0;
    if (retryNum <= 0) return next();
    // Events are acked by Bolt before middleware runs; commands, actions and the rest carry an ack.
    if ('ack' in args && typeof args.ack === 'function') await (args.ack as () => Promise<void>)();
    deps.logger.info(
      { retryNum, retryReason: context.retryReason, type: (args.body as { type?: string }).type },
      'Slack retry ignored (the first delivery is handled)',
    );
  };
}
