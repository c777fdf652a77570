// npm run repair [-- --projection …] [--grace-ms 5000] [--timeout-ms 120000]
// Verifies, re-emits the current state of every drifted user through the outbox, waits until the
// read models converged, and verifies again. Exits 1 when drift remains at the deadline.
import { pollUntil } from '@evergreen/platform';
import { driftTotal, formatReports, repairUsers, verify, type VerifyReport } from '@evergreen/consistency';
import { chooseProjections, cliContext, numberOption, parseArgs, runCli } from './context.ts';

const totalOf = (reports: readonly VerifyReport[]) => reports.reduce((sum, report) => sum + driftTotal(report), 0);

await runCli(async () => {
  const { options } = parseArgs(process.argv.slice(2));
  const context = cliContext();
  try {
    const projections = chooseProjections(context.projections, options.get('projection'));
    const graceMs = numberOption(options, 'grace-ms', 5_000);
    const before = await verify(context.source, projections, { graceMs });
    console.log(`before:\n${formatReports(before)}`);
    if (totalOf(before) === 0) return 0;

    const repaired = await repairUsers(context.pool, context.outbox, before.flatMap((report) => report.drifted));
    console.log(`re-emitted through the outbox: ${repaired.restated} at their version, ${repaired.bumped} at a new version (a read model held other content), ${repaired.deletions} deletions`);

    // The re-emitted events travel the relay and the consumers; the read models converge shortly.
    const after = await pollUntil(
      async () => {
        // With the same grace: writes keep flowing, and what they have in flight is not drift.
        const reports = await verify(context.source, projections, { graceMs });
        return totalOf(reports) === 0 ? reports : undefined;
      },
      { description: 'the read models to converge after the repair', timeoutMs: numberOption(options, 'timeout-ms', 120_000), intervalMs: 1_000 },
    ).catch(async (error: Error) => {
      console.error(error.message);
      return verify(context.source, projections, { graceMs });
    });
    console.log(`after:\n${formatReports(after)}`);
    return totalOf(after) === 0 ? 0 : 1;
  } finally {
    await context.close();
  }
});
