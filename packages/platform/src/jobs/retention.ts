import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../logger/logger.ts';
import { startPeriodicJob, type PeriodicJob } from './periodic.ts';

/** Deletes at most `limit` rows that are past their retention, in one short statement; resolves to how many it deleted. */
export type DeleteBatch = (limit: number) => Promise<number>;

export interface DrainOptions {
  /** Rows per statement (default 5,000): each statement is its own short transaction. */
  batchSize?: number;
  /** Stop after this long even if rows remain (default: no bound); the next run goes on. */
  maxMs?: number;
  /** Stop early, between batches (a shutdown). */
  shouldStop?: () => boolean;
}

export interface DrainResult {
  deleted: number;
  batches: number;
  seconds: number;
  /** Stopped by maxMs or shouldStop with rows possibly left, rather than by a short batch. */
  interrupted: boolean;
}

/**
 * Deletes what is past its retention, batch after batch, until a batch comes back short: a run
 * keeps up with any backlog at the rate the database deletes, not at a rate a cap allows.
 */
export async function drainInBatches(deleteBatch: DeleteBatch, options: DrainOptions = {}): Promise<DrainResult> {
  const batchSize = options.batchSize ?? 5_000;
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  let deleted = 0;
  let batches = 0;
  for (;;) {
    if (options.shouldStop?.() || (options.maxMs !== undefined && elapsed() >= options.maxMs)) {
      return { deleted, batches, seconds: elapsed() / 1000, interrupted: true };
    }
    const count = await deleteBatch(batchSize);
    deleted += count;
    batches += 1;
    if (count < batchSize) return { deleted, batches, seconds: elapsed() / 1000, interrupted: false };
  }
}

/** The retention metrics of a registry, created once however many jobs a process runs. */
function retentionMetrics(registry: Registry) {
  const registers = [registry];
  const labelNames = ['table'] as const;
  const existing = <M>(name: string) => registry.getSingleMetric(name) as M | undefined;
  return {
    deleted:
      existing<Counter<'table'>>('evergreen_retention_deleted_rows_total') ??
      new Counter({ name: 'evergreen_retention_deleted_rows_total', help: 'Rows deleted because they were past their retention, by table.', labelNames, registers }),
    failures:
      existing<Counter<'table'>>('evergreen_retention_failures_total') ??
      new Counter({ name: 'evergreen_retention_failures_total', help: 'Retention runs that failed, by table.', labelNames, registers }),
    lastRun:
      existing<Gauge<'table'>>('evergreen_retention_last_run_timestamp_seconds') ??
      new Gauge({ name: 'evergreen_retention_last_run_timestamp_seconds', help: 'When the last retention run of the table completed (unix seconds).', labelNames, registers }),
    rate:
      existing<Gauge<'table'>>('evergreen_retention_rows_per_second') ??
      new Gauge({ name: 'evergreen_retention_rows_per_second', help: 'Rows per second the last retention run of the table deleted while it ran (0 when it found nothing).', labelNames, registers }),
  };
}

export interface RetentionJobOptions extends DrainOptions {
  /** The table (or key space) it bounds: the metrics' label and the logs' name. */
  table: string;
  deleteBatch: DeleteBatch;
  intervalMs: number;
  registry: Registry;
  logger: Pick<Logger, 'info' | 'warn'>;
}

/**
 * Bounds a table: every `intervalMs` it deletes what is past its retention in batches until none
 * is left (drainInBatches), counts it in evergreen_retention_deleted_rows_total{table}, records
 * the run's time and rate, and logs what it did. A failed run is logged and counted; the next
 * interval tries again.
 */
export function startRetentionJob(options: RetentionJobOptions): PeriodicJob<DrainResult> {
  const metrics = retentionMetrics(options.registry);
  const labels = { table: options.table };
  let stopping = false;
  const job = startPeriodicJob({
    intervalMs: options.intervalMs,
    run: async () => {
      const result = await drainInBatches(options.deleteBatch, { ...options, shouldStop: () => stopping || options.shouldStop?.() === true }).catch((error: unknown) => {
        metrics.failures.inc(labels);
        throw error;
      });
      metrics.deleted.inc(labels, result.deleted);
      metrics.lastRun.set(labels, Date.now() / 1000);
      metrics.rate.set(labels, result.seconds > 0 ? result.deleted / result.seconds : 0);
      if (result.deleted > 0) {
        options.logger.info({ table: options.table, deleted: result.deleted, batches: result.batches, seconds: Number(result.seconds.toFixed(3)), interrupted: result.interrupted }, 'deleted rows past their retention');
      }
      return result;
    },
    onError: (error) => options.logger.warn({ err: error, table: options.table }, 'retention run failed; trying again at the next interval'),
  });
  return {
    runOnce: job.runOnce,
    async stop() {
      stopping = true;
      await job.stop();
    },
  };
}
