import { describe, expect, it } from 'vitest';
import { DEFAULT_RESTART_POLICY, failuresAfterExit, restartDelayMs } from './backoff.ts';

const policy = { initialMs: 500, maxMs: 30_000, healthyAfterMs: 60_000 };

describe('restartDelayMs', () => {
  it('doubles from the initial delay for each failure in a row', () => {
    expect([1, 2, 3, 4].map((failures) => restartDelayMs(policy, failures))).toEqual([500, 1_000, 2_000, 4_000]);
  });

  it('never waits longer than the cap', () => {
    expect(restartDelayMs(policy, 7)).toBe(30_000);
    expect(restartDelayMs(policy, 60)).toBe(30_000);
  });

  it('restarts a first crash within a second by default', () => {
    expect(restartDelayMs(DEFAULT_RESTART_POLICY, 1)).toBeLessThanOrEqual(1_000);
  });
});

describe('failuresAfterExit', () => {
  it('counts a quick exit as one more failure in a row', () => {
    expect(failuresAfterExit(policy, 3, 2_000)).toBe(4);
  });

  it('starts again from one after a run that lasted', () => {
    expect(failuresAfterExit(policy, 6, 60_000)).toBe(1);
  });
});
