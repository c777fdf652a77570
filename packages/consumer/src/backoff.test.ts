import { describe, expect, it } from 'vitest';
import { backoffDelay, retryTransient, StopRequestedError, type RetryHooks } from './backoff.ts';

const fast = { initialMs: 1, maxMs: 4 };

function hooks(overrides: Partial<RetryHooks> = {}) {
  const retries: number[] = [];
  const all: RetryHooks = {
    isRunning: () => true,
    heartbeat: async () => undefined,
    onRetry: (_error, attempt) => retries.push(attempt),
    isFatal: () => false,
    ...overrides,
  };
  return { hooks: all, retries };
}

describe('backoffDelay', () => {
  it('doubles its ceiling per attempt up to the cap, and jitters below it', () => {
    const top = () => 0.999_999;
    expect([0, 1, 2, 3, 10].map((attempt) => backoffDelay(attempt, { initialMs: 100, maxMs: 1_000 }, top))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffDelay(5, { initialMs: 100, maxMs: 1_000 }, () => 0)).toBe(0);
  });
});

describe('retryTransient', () => {
  it('retries a failing step until it succeeds, counting the attempts', async () => {
    let calls = 0;
    const { hooks: h, retries } = hooks();
    const result = await retryTransient(async () => {
      calls += 1;
      if (calls < 4) throw new Error('redis is away');
      return 'done';
    }, h, fast);
    expect(result).toBe('done');
    expect(retries).toEqual([1, 2, 3]);
  });

  it('rethrows a fatal error at once', async () => {
    const fatal = new Error('rebalance');
    const { hooks: h, retries } = hooks({ isFatal: (error) => error === fatal });
    await expect(retryTransient(async () => Promise.reject(fatal), h, fast)).rejects.toBe(fatal);
    expect(retries).toEqual([]);
  });

  it('gives up with StopRequestedError once the consumer stops, instead of retrying forever', async () => {
    let running = true;
    const { hooks: h } = hooks({ isRunning: () => running });
    let calls = 0;
    const outcome = retryTransient(async () => {
      calls += 1;
      if (calls === 3) running = false;
      throw new Error('still away');
    }, h, fast);
    await expect(outcome).rejects.toBeInstanceOf(StopRequestedError);
    expect(calls).toBe(3);
  });
});
