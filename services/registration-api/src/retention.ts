import type pg from 'pg';
import type { Registry } from 'prom-client';
import { startRetentionJob, type DrainResult, type Logger, type PeriodicJob } from '@evergreen/platform';
import type { IdempotencyStore } from './idempotency/store.ts';

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
  /** How often each table is swept, every sweep deleting all that is due (default 10 s; the first one interval after the start). */
  sweepIntervalMs?: number;
  /** Rows per DELETE statement (default 5,000). */
  batchSize?: number;
}

export interface ApiRetention {
  idempotencyKeys: PeriodicJob<DrainResult>;
  stop(): Promise<void>;
}

/**
 * The API's bounded tables, each swept every interval until nothing due is left: expired
 * idempotency keys. Metrics on `registry` (evergreen_retention_*{table}).
 */
export function startApiRetention(options: { pool: pg.Pool; keys: IdempotencyStore; registry: Registry; logger: Pick<Logger, 'info' | 'warn'>; retention?: ApiRetentionOptions }): ApiRetention {
  const retention = options.retention ?? {};
  const common = { intervalMs: retention.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS, batchSize: retention.batchSize, registry: options.registry, logger: options.logger };
  const idempotencyKeys = startRetentionJob({ ...common, table: 'idempotency_keys', deleteBatch: (limit) => options.keys.deleteExpired(limit) });
  return {
    idempotencyKeys,
    async stop() {
      await idempotencyKeys.stop();
    },
  };
}
