// npm run backfill -- user [--rate 2000] [--batch 500] [--restart]
// Emits the current state of every user through the outbox (UserSnapshot), resumably.
import { backfillUsers, type BackfillOptions, type BackfillProgress } from '@evergreen/consistency';
import { userAggregate } from '@evergreen/schemas';
import { cliContext, numberOption, parseArgs, runCli } from './context.ts';

/** The aggregates a backfill exists for, by type: each re-emits its rows' state through the outbox. */
const BACKFILLS: Record<string, (options: BackfillOptions) => Promise<BackfillProgress>> = { [userAggregate.type]: backfillUsers };
const AGGREGATES = Object.keys(BACKFILLS);

function bar(progress: BackfillProgress): string {
  const fraction = progress.total === 0 ? 1 : Math.min(1, progress.emitted / progress.total);
  const filled = Math.round(fraction * 30);
  const rate = progress.seconds > 0 ? progress.emittedThisRun / progress.seconds : 0;
  const eta = rate > 0 ? Math.ceil((progress.total - progress.emitted) / rate) : undefined;
  return `[${'#'.repeat(filled)}${'-'.repeat(30 - filled)}] ${(fraction * 100).toFixed(1)}% ${progress.emitted}/${progress.total} ${Math.round(rate)}/s ETA ${eta === undefined ? '?' : `${eta}s`}`;
}

await runCli(async () => {
  const { options, flags, words } = parseArgs(process.argv.slice(2), ['restart']);
  const aggregate = words[0];
  if (!aggregate || !AGGREGATES.includes(aggregate)) throw new Error(`usage: npm run backfill -- <${AGGREGATES.join('|')}> [--rate N] [--batch N] [--restart]`);
  const context = cliContext();
  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const interactive = process.stderr.isTTY === true;
  let lastLine = 0;
  try {
    const backfill = BACKFILLS[aggregate] as (typeof BACKFILLS)[string];
    const done = await backfill({
      pool: context.pool,
      outbox: context.outbox,
      batchSize: numberOption(options, 'batch', 500),
      ratePerSecond: options.has('rate') ? numberOption(options, 'rate', 0) : undefined,
      restart: flags.has('restart'),
      shouldStop: () => stopping,
      onProgress(progress) {
        if (interactive) process.stderr.write(`\r${bar(progress)}`);
        else if (performance.now() - lastLine > 2_000) {
          lastLine = performance.now();
          console.error(bar(progress));
        }
      },
    });
    if (interactive) process.stderr.write('\n');
    const how = done.resumed ? 'resumed from its checkpoint' : 'from the first row';
    if (stopping) console.log(`stopped at ${done.emitted}/${done.total}; run the same command to resume`);
    else console.log(`backfill of ${aggregate} done (${how}): ${done.emittedThisRun} events emitted in ${done.seconds.toFixed(1)} s, ${done.emitted} in all`);
    return stopping ? 130 : 0;
  } finally {
    await context.close();
  }
});
