// Slack redelivers a request it thinks went unanswered (HTTP: the X-Slack-Retry-Num header; Socket
// Mode: retry_attempt). A retry of a delivery this process accepted is acked and dropped: a check or a
// change never runs twice for one click or command. A retry of an event it never accepted (refused
// with 503 while Slack was not linked yet, or sent while the bot was down) is the only copy there will
// be, so it is handled, once. Events are told apart by their event_id, the same on every retry;
// commands and clicks carry no such id (and Slack does not retry them), so their retries are dropped.
import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { BotDeps } from './deps.js';

/**
 * The event ids accepted lately. Slack retries three times within about five minutes, so an hour is
 * ample; past `max` ids the oldest are forgotten (a retry of one would then be handled again).
 */
export class AcceptedEvents {
  private readonly accepted = new Map<string, number>();

  constructor(
    private readonly keepMs = 60 * 60_000,
    private readonly max = 10_000,
  ) {}

  /** True the first time `id` is seen (within `keepMs`), false for any copy after it. */
  accept(id: string, now: number): boolean {
    // Insertion order is arrival order: the expired are at the front.
    for (const [old, at] of this.accepted) {
      if (now - at < this.keepMs && this.accepted.size < this.max) break;
      this.accepted.delete(old);
    }
    if (this.accepted.has(id)) return false;
    this.accepted.set(id, now);
    return true;
  }
}

export function ignoreSlackRetries(
  deps: Pick<BotDeps, 'logger'>,
  accepted = new AcceptedEvents(),
): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const { context, next } = args;
    const retryNum = context.retryNum ?? 0;
    const body = args.body as { type?: string; event_id?: unknown };
    const eventId =
      body.type === 'event_callback' && typeof body.event_id === 'string' ? body.event_id : undefined;
    const first = eventId !== undefined ? accepted.accept(eventId, Date.now()) : retryNum <= 0;
    if (first) return next();
    // Events are acked by Bolt before middleware runs; commands, actions and the rest carry an ack.
    if ('ack' in args && typeof args.ack === 'function') await (args.ack as () => Promise<void>)();
    deps.logger.info(
      { retryNum, retryReason: context.retryReason, type: body.type, eventId },
      'Slack retry ignored (the first delivery is handled)',
    );
  };
}
