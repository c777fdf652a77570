import { Gauge, type Registry } from 'prom-client';
import type pg from 'pg';
import { startPeriodicJob, type Logger, type StackConfig } from '@evergreen/platform';
import { DRIFT_KINDS } from './drift.ts';
import { userSource } from './users.ts';
import { driftTotal, verify, type Projection, type VerifyReport } from './verify.ts';

export interface DriftMonitorOptions {
  /** One verification of the read models this process keeps. */
  verify(): Promise<VerifyReport[]>;
  intervalMs: number;
  registry: Registry;
  logger: Logger;
}

export interface DriftMonitor {
  /** Runs one verification now and records it (also what the interval does). */
  runOnce(): Promise<VerifyReport[]>;
  stop(): Promise<void>;
}

/**
 * Verifies periodically and exports the result: evergreen_drift_entries{projection,kind} and the
 * time of the last completed run, so an alert can fire on drift and on a check that stopped running.
 * A run that fails is logged and leaves the last figures as they were (their timestamp ages).
 */
export function startDriftMonitor(options: DriftMonitorOptions): DriftMonitor {
  const { logger } = options;
  const registers = [options.registry];
  const entries = new Gauge({ name: 'evergreen_drift_entries', help: 'Read-model entries that differ from PostgreSQL, by kind, as of the last verification.', labelNames: ['projection', 'kind'], registers });
  const lastRun = new Gauge({ name: 'evergreen_drift_last_run_timestamp_seconds', help: 'When the last verification completed (unix seconds).', labelNames: ['projection'], registers });
  const checked = new Gauge({ name: 'evergreen_drift_checked_entries', help: 'Entries compared by the last verification.', labelNames: ['projection'], registers });
  const duration = new Gauge({ name: 'evergreen_drift_run_seconds', help: 'How long the last verification took.', labelNames: ['projection'], registers });

  const job = startPeriodicJob({
    intervalMs: options.intervalMs,
    run: async () => {
      const reports = await options.verify();
      for (const report of reports) {
        for (const kind of DRIFT_KINDS) entries.set({ projection: report.projection, kind }, report.counts[kind]);
        lastRun.set({ projection: report.projection }, Date.now() / 1000);
        checked.set({ projection: report.projection }, report.checked);
        duration.set({ projection: report.projection }, report.seconds);
        const total = driftTotal(report);
        const summary = { projection: report.projection, checked: report.checked, seconds: Number(report.seconds.toFixed(2)), ...report.counts, examples: report.drifted.slice(0, 3).map((drift) => `${drift.kind}:${drift.id}`) };
        if (total > 0) logger.error(summary, 'read model drifted from PostgreSQL; run `npm run repair`');
        else logger.info(summary, 'read model verified: no drift');
      }
      return reports;
    },
    onError: (error) => logger.warn({ err: error }, 'verification failed; trying again at the next interval'),
  });
  return job;
}

/**
 * What a projection service runs: its own read model verified against the users in PostgreSQL
 * every EVERGREEN_VERIFY_INTERVAL_MS, with EVERGREEN_VERIFY_GRACE_MS for changes in flight.
 */
export function monitorUserProjection(options: { pool: pg.Pool; projection: Projection; config: Pick<StackConfig, 'consistency'>; registry: Registry; logger: Logger }): DriftMonitor {
  const { verifyIntervalMs, verifyGraceMs } = options.config.consistency;
  return startDriftMonitor({
    verify: () => verify(userSource(options.pool), [options.projection], { graceMs: verifyGraceMs }),
    intervalMs: verifyIntervalMs,
    registry: options.registry,
    logger: options.logger,
  });
}
