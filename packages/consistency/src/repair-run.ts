import { pollUntil } from '@evergreen/platform';
import type { ConsistencyContext } from './context.ts';
import { repairUsers, type RepairSummary } from './repair.ts';
import { driftTotal, verify, type Projection, type VerifyReport } from './verify.ts';

export interface RepairRunOptions {
  /** verify's grace for changes in flight. */
  graceMs: number;
  /** How long the read models may take to converge after the re-emission. */
  timeoutMs: number;
}

export interface RepairRun {
  before: VerifyReport[];
  /** What was re-emitted; undefined when there was no drift to repair. */
  repaired: RepairSummary | undefined;
  /** The verification after the repair (the same as before when there was nothing to do). */
  after: VerifyReport[];
  /** Why the read models did not converge in time, when they did not. */
  notConverged: string | undefined;
}

export const totalDrift = (reports: readonly VerifyReport[]): number => reports.reduce((sum, report) => sum + driftTotal(report), 0);

/**
 * `npm run repair` and the console's repair action: verifies, re-emits the current state of every
 * drifted user through the outbox, waits until the read models converged, and verifies again.
 */
export async function repairAndVerify(context: Pick<ConsistencyContext, 'pool' | 'outbox' | 'source'>, projections: Projection[], options: RepairRunOptions): Promise<RepairRun> {
  const { graceMs } = options;
  const before = await verify(context.source, projections, { graceMs });
  if (totalDrift(before) === 0) return { before, repaired: undefined, after: before, notConverged: undefined };

  const repaired = await repairUsers(context.pool, context.outbox, before.flatMap((report) => report.drifted));
  // The re-emitted events travel the relay and the consumers; the read models converge shortly.
  try {
    const after = await pollUntil(
      async () => {
        // With the same grace: writes keep flowing, and what they have in flight is not drift.
        const reports = await verify(context.source, projections, { graceMs });
        return totalDrift(reports) === 0 ? reports : undefined;
      },
      { description: 'the read models to converge after the repair', timeoutMs: options.timeoutMs, intervalMs: 1_000 },
    );
    return { before, repaired, after, notConverged: undefined };
  } catch (error) {
    return { before, repaired, after: await verify(context.source, projections, { graceMs }), notConverged: (error as Error).message };
  }
}
