// npm run verify [-- --projection user-cache,activity-log] [--grace-ms 5000]
// Compares every user in PostgreSQL with each read model; prints the drift; exits 1 on drift.
import { driftTotal, formatReports, verify } from '@evergreen/consistency';
import { chooseProjections, cliContext, numberOption, parseArgs, runCli } from './context.ts';

await runCli(async () => {
  const { options } = parseArgs(process.argv.slice(2));
  const context = cliContext();
  try {
    const reports = await verify(context.source, chooseProjections(context.projections, options.get('projection')), { graceMs: numberOption(options, 'grace-ms', 5_000) });
    console.log(formatReports(reports));
    return reports.some((report) => driftTotal(report) > 0) ? 1 : 0;
  } finally {
    await context.close();
  }
});
