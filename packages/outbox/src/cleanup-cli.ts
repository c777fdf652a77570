import { EXIT, exitCodeOf } from '@evergreen/errors';
import { createPool, loadStackConfig } from '@evergreen/platform';
import { cleanupOutbox } from './cleanup.ts';

// `npm run outbox:cleanup -- <retention-hours>`: only needed when a writer keeps its outbox rows.
const hours = Number(process.argv[2] ?? process.env.EVERGREEN_OUTBOX_RETENTION_HOURS ?? 24 * 7);
if (!Number.isFinite(hours) || hours < 0) {
  console.error(`[outbox] retention must be a number of hours, got ${process.argv[2]}`);
  process.exit(EXIT.USAGE);
}
const pool = createPool(loadStackConfig().postgres, { max: 1 });
try {
  const deleted = await cleanupOutbox(pool, { olderThanMs: hours * 3_600_000 });
  console.log(`[outbox] deleted ${deleted} row(s) older than ${hours} h`);
} catch (error) {
  console.error(`[outbox] FAILED: ${(error as Error).message}`);
  process.exitCode = exitCodeOf(error);
} finally {
  await pool.end();
}
