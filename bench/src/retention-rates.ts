import { inboxMigrations, pruneInbox } from '@evergreen/consumer';
import { ensureDatabase, localStack } from '@evergreen/local-stack';
import { createPool, drainInBatches, loadStackConfig, migrate, type DeleteBatch } from '@evergreen/platform';
import { deleteOldUserDeletions, IdempotencyStore, registrationMigrations } from '@evergreen/registration-api';

// `npm run bench:retention [-- <rows, default 200000>]`: how fast each bounded table is emptied of
// what is past its retention, by the jobs the services run (docs/operations.md#bounded-storage), on
// a database of the bench's own: expired idempotency keys (as the API's writes leave them),
// deletion records past their retention, and inbox rows past their window (folded into their
// keys' fences, ten rows a key). Compare the idempotency keys' rate with ten times the API's
// sustained rate of keyed writes (`npm run bench:api -- 15 16 --keyed`).
const rows = Number(process.argv[2] ?? 200_000);
if (!Number.isInteger(rows) || rows < 1_000) {
  console.error('usage: npm run bench:retention -- [<rows, at least 1000>]');
  process.exit(2);
}
const BENCH_DATABASE = 'evergreen_bench';
const BATCH = 5_000;
const INBOX = 'bench-retention';

const demo = loadStackConfig();
await ensureDatabase(localStack(demo), BENCH_DATABASE);
const pool = createPool({ ...demo.postgres, database: BENCH_DATABASE }, { max: 2 });
const say = (line: string) => console.error(`[bench:retention] ${line}`);

interface Measured {
  table: string;
  deleted: number;
  seconds: number;
}

async function measure(table: string, seed: string, deleteBatch: DeleteBatch): Promise<Measured> {
  say(`seeding ${rows} rows of ${table} past their retention …`);
  await pool.query(seed, [rows]);
  await pool.query(`VACUUM ANALYZE ${table}`);
  say(`deleting them, ${BATCH} per statement …`);
  const { deleted, seconds } = await drainInBatches(deleteBatch, { batchSize: BATCH });
  if (deleted < rows) throw new Error(`${table}: only ${deleted} of ${rows} rows were deleted`);
  return { table, deleted, seconds };
}

try {
  await migrate(pool, [...registrationMigrations(), ...inboxMigrations()]);
  await pool.query('TRUNCATE idempotency_keys, user_deletions, consumer_inbox_fence');
  await pool.query('DELETE FROM consumer_inbox WHERE consumer = $1', [INBOX]);
  const keys = new IdempotencyStore(pool);
  const results = [
    await measure(
      'idempotency_keys',
      `INSERT INTO idempotency_keys (key, fingerprint, method, path, status, headers, body, expires_at)
       SELECT gen_random_uuid()::text, md5(n::text), 'POST', '/users', 201,
              json_build_object('content-type', 'application/json; charset=utf-8', 'location', '/users/' || gen_random_uuid(), 'etag', '"1"'),
              json_build_object('id', gen_random_uuid(), 'email', 'bench-' || n || '@example.com', 'name', 'Bench User', 'avatarUrl', null, 'version', 1),
              now() - interval '1 second'
         FROM generate_series(1, $1) AS n`,
      (limit) => keys.deleteExpired(limit),
    ),
    await measure(
      'user_deletions',
      `INSERT INTO user_deletions (id, version, deleted_at) SELECT gen_random_uuid(), 2, now() - interval '31 days' FROM generate_series(1, $1)`,
      (limit) => deleteOldUserDeletions(pool, 30, limit),
    ),
    await measure(
      'consumer_inbox',
      `INSERT INTO consumer_inbox (consumer, event_id, processed_at, topic, aggregate_id, aggregate_version)
       SELECT '${INBOX}', gen_random_uuid(), now() - interval '30 days', 'evergreen.user', md5((n / 10)::text), n % 10 + 1
         FROM generate_series(1, $1) AS n`,
      (limit) => pruneInbox(pool, INBOX, 29 * 86_400_000, limit),
    ),
  ];
  const { rows: fences } = await pool.query<{ keys: string }>('SELECT count(*) AS keys FROM consumer_inbox_fence WHERE consumer = $1', [INBOX]);
  console.log(`\nRows past their retention deleted by the services' retention jobs, ${BATCH} per statement\n`);
  console.log('| table | rows | seconds | rows/s |');
  console.log('|---|---:|---:|---:|');
  for (const result of results) console.log(`| ${result.table} | ${result.deleted} | ${result.seconds.toFixed(2)} | ${Math.round(result.deleted / result.seconds)} |`);
  console.log(`\nThe inbox's ${rows} rows left ${fences[0]?.keys} fences (one per key).`);
} finally {
  await pool.query('TRUNCATE idempotency_keys, user_deletions, consumer_inbox_fence').catch(() => undefined);
  await pool.query('DELETE FROM consumer_inbox WHERE consumer = $1', [INBOX]).catch(() => undefined);
  await pool.end();
}
