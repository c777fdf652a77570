import type pg from 'pg';
import type { Registry } from 'prom-client';
import { startRetentionJob, type DrainResult, type Logger, type PeriodicJob } from '@evergreen/platform';
import type { IdempotencyStore } from './idempotency/store.ts';

/** How long user_deletions remembers a deletion when nothing else is configured (EVERGREEN_USER_DELETIONS_RETENTION_DAYS). */
export const DEFAULT_USER_DELETION_RETENTION_DAYS = 30;

/**
 * How often the API deletes what is past its retention, when nothing else is configured. A sweep
 * deletes all that is due, so what piles up between two sweeps must go within one interval: at
 * ten times the API's sustained rate of keyed writes that is 113,000 idempotency keys, gone in about
 * 5 s (docs/operations.md#bounded-storage).
 */
export const DEFAULT_SWEEP_INTERVAL_MS = 10_000;

export interface ApiRetentionOptions {
  /** How long an Idempotency-Key's answer is kept, in hours (EVERGREEN_IDEMPOTENCY_TTL_HOURS); default 24. */
  idempotencyTtlHours?: number;
  /** How long a deleted user's row stays in user_deletions, in days (EVERGREEN_USER_DELETIONS_RETENTION_DAYS); default 30. */
  userDeletionRetentionDays?: number;
  /** How often each table is swept, every sweep deleting all that is due (default 10 s; the first one interval after the start). */
  sweepIntervalMs?: number;
  /** Rows per DELETE statement (default 5,000). */
  batchSize?: number;
}

/**
 * Up to `limit` rows of user_deletions older than the retention, oldest first, in one statement.
 * What reads a deletion record, and why it may go (docs/operations.md#bounded-storage): verify
 * names a live read-model entry of a deleted user `resurrected` rather than `orphan`, and repair
 * re-emits the deletion at its recorded version. Both treat an orphan the same way (a deletion
 * above what the read model holds), so a forgotten deletion is still found and healed.
 */
export async function deleteOldUserDeletions(pool: Pick<pg.Pool, 'query'>, retentionDays: number, limit: number): Promise<number> {
  const { rowCount } = await pool.query(
    `DELETE FROM user_deletions WHERE id IN (
       SELECT id FROM user_deletions WHERE deleted_at < now() - make_interval(days => $1) ORDER BY deleted_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    [retentionDays, limit],
  );
  return rowCount ?? 0;
}

export interface ApiRetention {
  idempotencyKeys: PeriodicJob<DrainResult>;
  userDeletions: PeriodicJob<DrainResult>;
  stop(): Promise<void>;
}

/**
 * The API's bounded tables, each swept every interval until nothing due is left: expired
 * idempotency keys, and deletion records past their retention. Metrics on `registry`
 * (evergreen_retention_*{table}).
 */
export function startApiRetention(options: { pool: pg.Pool; keys: IdempotencyStore; registry: Registry; logger: Pick<Logger, 'info' | 'warn'>; retention?: ApiRetentionOptions }): ApiRetention {
  const retention = options.retention ?? {};
  const common = { intervalMs: retention.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS, batchSize: retention.batchSize, registry: options.registry, logger: options.logger };
  const retentionDays = retention.userDeletionRetentionDays ?? DEFAULT_USER_DELETION_RETENTION_DAYS;
  const idempotencyKeys = startRetentionJob({ ...common, table: 'idempotency_keys', deleteBatch: (limit) => options.keys.deleteExpired(limit) });
  const userDeletions = startRetentionJob({ ...common, table: 'user_deletions', deleteBatch: (limit) => deleteOldUserDeletions(options.pool, retentionDays, limit) });
  return {
    idempotencyKeys,
    userDeletions,
    async stop() {
      await Promise.all([idempotencyKeys.stop(), userDeletions.stop()]);
    },
  };
}
