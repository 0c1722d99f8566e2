// How long one WATCH request may keep the watcher waiting: a request that never gets its answer, a
// stream the server forgot to end, a stream that went silent. Without them a hung watch looks like a
// quiet one, and the model answers from a frozen view with no gap.

export interface WatchDeadlines {
  /** For the answer's headers: client-node's Watch meant 30 s too (its 1.4 release drops it). */
  readonly headersMs: number;
  /**
   * Past the `timeoutSeconds` the server was asked to end the stream at: a stream that neither ends
   * nor says anything by then is dead, whatever the API server does about bookmarks.
   */
  readonly graceMs: number;
  /**
   * With no event and no bookmark, once the kind's streams have sent bookmarks: an API server sends
   * one about every minute to a watch that allows them, so two missed mean the stream is dead. (An API
   * server that sends none is held to the `timeoutSeconds` bound only: its quiet streams are not dead.)
   */
  readonly silenceMs: number;
}

export const DEFAULT_DEADLINES: WatchDeadlines = { headersMs: 30_000, graceMs: 30_000, silenceMs: 120_000 };

/**
 * The timers of one watch request; `expire` is called at most once, with what the stream failed to do,
 * and whether it was open (silent) rather than unanswered.
 */
export class StreamDeadlines {
  private timer?: NodeJS.Timeout;
  private message?: string;
  private timeoutSeconds = 0;
  private over = false;
  private open = false;

  constructor(
    private readonly deadlines: WatchDeadlines,
    private readonly expire: (message: string, silent: boolean) => void,
  ) {}

  /** The request is sent. */
  requested(): void {
    this.arm(
      this.deadlines.headersMs,
      `no answer to the watch request within ${seconds(this.deadlines.headersMs)}`,
    );
  }

  /** The stream is open, asked to end after `timeoutSeconds`. */
  opened(timeoutSeconds: number, bookmarking: boolean): void {
    this.open = true;
    this.timeoutSeconds = timeoutSeconds;
    this.heard(bookmarking);
  }

  /** An event or a bookmark came (or the stream opened): the silence starts again. */
  heard(bookmarking: boolean): void {
    if (!this.open) return;
    const lifetime = this.timeoutSeconds * 1000 + this.deadlines.graceMs;
    if (bookmarking && this.deadlines.silenceMs < lifetime)
      this.arm(
        this.deadlines.silenceMs,
        `the watch stream went silent: no event or bookmark for ${seconds(this.deadlines.silenceMs)}`,
      );
    else
      this.arm(
        lifetime,
        `the watch stream went silent: no event for ${seconds(lifetime)}, past the ${this.timeoutSeconds} s it was asked to last`,
      );
  }

  clear(): void {
    this.over = true;
    clearTimeout(this.timer);
  }

  private arm(ms: number, message: string): void {
    // The same deadline again (every event of a busy stream): restarted, not made anew.
    if (this.timer && message === this.message) return void this.timer.refresh();
    clearTimeout(this.timer);
    this.message = message;
    this.timer = setTimeout(() => {
      if (this.over) return;
      this.over = true;
      this.expire(message, this.open);
    }, ms);
  }
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
