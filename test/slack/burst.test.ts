// Follow-up work of a Slack request waits until a burst of requests has been acked: it resumes only
// once no request arrived for the quiet period, and never later than the longest wait.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { burstTracker } from '../../commands/serve/burst.js';

const arrive = async (burst: ReturnType<typeof burstTracker>) => {
  const next = vi.fn(async () => {});
  // biome-ignore lint/suspicious/noExplicitAny: only `next` of Bolt's middleware arguments is used
  await burst.noteArrival({ next } as any);
  expect(next).toHaveBeenCalledOnce();
};

/** Whether the follow-up work waiting on `burst` has been let go yet. */
const watchRelease = (burst: ReturnType<typeof burstTracker>) => {
  let released = false;
  void burst.settled().then(() => {
    released = true;
  });
  return () => released;
};

describe('burstTracker', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds follow-up work while requests keep arriving, and releases it once they stop', async () => {
    const burst = burstTracker({ quietMs: 20, maxWaitMs: 1000, now: () => Date.now() });
    await arrive(burst);
    const released = watchRelease(burst);
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(15);
      await arrive(burst);
      expect(released()).toBe(false);
    }
    await vi.advanceTimersByTimeAsync(19);
    expect(released()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(released()).toBe(true);
  });

  it('releases follow-up work after the longest wait even if requests never stop', async () => {
    const burst = burstTracker({ quietMs: 20, maxWaitMs: 100, now: () => Date.now() });
    await arrive(burst);
    const released = watchRelease(burst);
    for (let i = 0; i < 9; i++) {
      await vi.advanceTimersByTimeAsync(10);
      await arrive(burst);
    }
    expect(released()).toBe(false);
    await vi.advanceTimersByTimeAsync(10);
    expect(released()).toBe(true);
  });

  it('does not hold follow-up work when no request is arriving', async () => {
    const burst = burstTracker({ quietMs: 20, maxWaitMs: 100, now: () => Date.now() });
    const released = watchRelease(burst);
    await vi.advanceTimersByTimeAsync(0);
    expect(released()).toBe(true);
  });
});
