// npm run repair [-- --projection …] [--grace-ms 5000] [--timeout-ms 120000]
// Verifies, re-emits the current state of every drifted user through the outbox, waits until the
// read models converged, and verifies again. Exits 1 when drift remains at the deadline.
import { formatReports, repairAndVerify, totalDrift } from '@evergreen/consistency';
import { chooseProjections, cliContext, numberOption, parseArgs, runCli } from './context.ts';

await runCli(async () => {
  const { options } = parseArgs(process.argv.slice(2));
  const context = cliContext();
  try {
    const projections = chooseProjections(context.projections, options.get('projection'));
    const run = await repairAndVerify(context, projections, { graceMs: numberOption(options, 'grace-ms', 5_000), timeoutMs: numberOption(options, 'timeout-ms', 120_000) });
    console.log(`before:\n${formatReports(run.before)}`);
    if (!run.repaired) return 0;
    const { restated, bumped, deletions, foreign } = run.repaired;
    console.log(`re-emitted through the outbox: ${restated} at their version, ${bumped} at a new version (a read model held other content), ${deletions} deletions`);
    if (foreign.length > 0) console.error(`left alone: ${foreign.length} read-model entr${foreign.length === 1 ? 'y' : 'ies'} under ids no user can have, which no event can reach; delete them by hand: ${foreign.slice(0, 20).join(', ')}${foreign.length > 20 ? ', …' : ''}`);
    if (run.notConverged) console.error(run.notConverged);
    console.log(`after:\n${formatReports(run.after)}`);
    return totalDrift(run.after) === 0 ? 0 : 1;
  } finally {
    await context.close();
  }
});
