import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger/logger.ts';
import { drainInBatches, startRetentionJob } from './retention.ts';

/** A table of `rows` rows past their retention, deleted `limit` at a time. */
function backlog(rows: number) {
  let left = rows;
  const calls: number[] = [];
  return {
    calls,
    left: () => left,
    add: (more: number) => {
      left += more;
    },
    deleteBatch: async (limit: number) => {
      calls.push(limit);
      const deleted = Math.min(limit, left);
      left -= deleted;
      return deleted;
    },
  };
}

describe('drainInBatches', () => {
  it('keeps deleting until a batch comes back short, however large the backlog (no cap on batches)', async () => {
    // 10x the sustained write rate of the API (about 1,100 writes/s) piled up over a sweep interval
    // of a minute: a sweep must take all of it, or the table grows without bound.
    const table = backlog(10 * 1_100 * 60 + 7);

    const result = await drainInBatches(table.deleteBatch, { batchSize: 5_000 });

    expect(table.left()).toBe(0);
    expect(result).toMatchObject({ deleted: 10 * 1_100 * 60 + 7, batches: 133, interrupted: false });
    expect(new Set(table.calls)).toEqual(new Set([5_000]));
  });

  it('stops between batches when told to, saying rows may be left', async () => {
    const table = backlog(50);
    let batches = 0;

    const result = await drainInBatches(
      async (limit) => {
        batches += 1;
        return table.deleteBatch(limit);
      },
      { batchSize: 10, shouldStop: () => batches >= 2 },
    );

    expect(result).toMatchObject({ deleted: 20, batches: 2, interrupted: true });
    expect(table.left()).toBe(30);
  });

  it('runs one batch and stops when nothing is due', async () => {
    const table = backlog(0);
    expect(await drainInBatches(table.deleteBatch)).toMatchObject({ deleted: 0, batches: 1, interrupted: false });
  });
});

describe('startRetentionJob', () => {
  it('counts what each run deleted per table, and when it ran, in metrics shared by every job of the process', async () => {
    const registry = new Registry();
    const logger = createLogger('test', 'silent');
    const keys = backlog(12);
    const deletions = backlog(3);
    const jobs = [
      startRetentionJob({ table: 'idempotency_keys', deleteBatch: keys.deleteBatch, batchSize: 5, intervalMs: 3_600_000, registry, logger }),
      startRetentionJob({ table: 'user_deletions', deleteBatch: deletions.deleteBatch, intervalMs: 3_600_000, registry, logger }),
    ];

    await Promise.all(jobs.map((job) => job.runOnce()));
    keys.add(4);
    await jobs[0]?.runOnce();
    await Promise.all(jobs.map((job) => job.stop()));

    const text = await registry.metrics();
    expect(text).toContain('evergreen_retention_deleted_rows_total{table="idempotency_keys"} 16');
    expect(text).toContain('evergreen_retention_deleted_rows_total{table="user_deletions"} 3');
    const last = Number(/evergreen_retention_last_run_timestamp_seconds\{table="user_deletions"\} (\S+)/.exec(text)?.[1]);
    expect(Math.abs(last - Date.now() / 1000)).toBeLessThan(5);
  });

  it('counts a failed run and lets the error through to its caller', async () => {
    const registry = new Registry();
    const job = startRetentionJob({
      table: 'consumer_inbox',
      deleteBatch: async () => {
        throw new Error('connection refused');
      },
      intervalMs: 3_600_000,
      registry,
      logger: createLogger('test', 'silent'),
    });

    await expect(job.runOnce()).rejects.toThrow('connection refused');
    await job.stop();

    expect(await registry.metrics()).toContain('evergreen_retention_failures_total{table="consumer_inbox"} 1');
  });
});
