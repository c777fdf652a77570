import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.ts';

describe('backoffDelay', () => {
  it('doubles its ceiling per attempt up to the cap, and jitters below it', () => {
    const top = () => 0.999_999;
    expect([0, 1, 2, 3, 10].map((attempt) => backoffDelay(attempt, { initialMs: 100, maxMs: 1_000 }, top))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffDelay(5, { initialMs: 100, maxMs: 1_000 }, () => 0)).toBe(0);
  });
});
