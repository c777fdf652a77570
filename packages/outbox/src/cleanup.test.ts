import { describe, expect, it } from 'vitest';
import { cleanupOutbox } from './cleanup.ts';

/** A pool whose DELETE reports the next row count from a script, recording the parameters it got. */
function fakePool(rowCounts: number[]) {
  const calls: unknown[][] = [];
  return {
    calls,
    pool: {
      async query(_sql: string, params: unknown[]) {
        calls.push(params);
        return { rowCount: rowCounts.shift() ?? 0 };
      },
    } as unknown as Parameters<typeof cleanupOutbox>[0],
  };
}

describe('cleanupOutbox', () => {
  it('deletes in batches until a batch comes back short, and returns the total', async () => {
    const { pool, calls } = fakePool([100, 100, 42]);
    expect(await cleanupOutbox(pool, { olderThanMs: 60_000, batchSize: 100 })).toBe(242);
    expect(calls).toEqual([
      [60_000, 100],
      [60_000, 100],
      [60_000, 100],
    ]);
  });

  it('stops after one statement when nothing is old enough', async () => {
    const { pool, calls } = fakePool([0]);
    expect(await cleanupOutbox(pool, { olderThanMs: 1_000 })).toBe(0);
    expect(calls).toHaveLength(1);
  });
});
