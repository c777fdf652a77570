import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import { userCacheProjection, userSource, verify, driftTotal } from '@evergreen/consistency';
import { ensureDatabase, localStack } from '@evergreen/local-stack';
import { createPool, loadStackConfig, migrate } from '@evergreen/platform';
import { registrationMigrations } from '@evergreen/registration-api';
import { liveFields, readUserStates, streamUserStates } from '@evergreen/user-aggregate';
import { entryFields, parseCachedUser, userFingerprint, userKey } from '@evergreen/user-read-model';

// `npm run bench:verify [-- <users, default 1000000> [--keep]]`: how fast `npm run verify` compares
// every user in PostgreSQL with the cache, on a database and a Redis database of the bench's own
// holding that many users, each cached at its version. Reported against two baselines measured in
// the same run: the ceiling (streaming the users alone, no Redis) and the naive check (one SELECT
// and one HGETALL per user, on a sample). The target: 1,000,000 users in at most 60 s. It also
// reports the heap verify needed: its peak over the heap before, each sample taken after a full
// collection, which must not grow with the number of users (docs/operations.md#bounded-storage).
const args = process.argv.slice(2);
const users = Number(args.find((arg) => !arg.startsWith('--')) ?? 1_000_000);
const keep = args.includes('--keep');
if (!Number.isInteger(users) || users < 1_000) {
  console.error('usage: npm run bench:verify -- [<users, at least 1000>] [--keep]');
  process.exit(2);
}

/** Neither the demo's (0), the tests' (1) nor the durability bench's (15). */
const BENCH_REDIS_DB = 14;
const BENCH_DATABASE = 'evergreen_bench';
const NAIVE_SAMPLE = Math.min(users, 20_000);

const demo = loadStackConfig();
const config = { ...demo, postgres: { ...demo.postgres, database: BENCH_DATABASE }, redis: { ...demo.redis, db: BENCH_REDIS_DB } };
const say = (line: string) => console.log(`[bench:verify] ${line}`);

await ensureDatabase(localStack(demo), BENCH_DATABASE);
const pool = createPool(config.postgres, { max: 4 });
const redis = new Redis({ host: config.redis.host, port: config.redis.port, db: BENCH_REDIS_DB });

async function seed(): Promise<void> {
  await migrate(pool, registrationMigrations());
  const { rows } = await pool.query<{ count: string }>('SELECT count(*) FROM users');
  if (Number(rows[0]?.count) === users && (await redis.dbsize()) === users) {
    say(`reusing ${users} users already seeded`);
    return;
  }
  say(`seeding ${users} users into ${BENCH_DATABASE} and Redis db ${BENCH_REDIS_DB} …`);
  await pool.query('TRUNCATE users, user_deletions');
  await redis.flushdb();
  await pool.query(
    `INSERT INTO users (id, email, name, avatar_url, version, created_at, updated_at)
     SELECT gen_random_uuid(), 'bench-' || n || '@example.com', 'Bench user ' || n,
            CASE WHEN n % 3 = 0 THEN NULL ELSE 'https://example.com/' || n || '.png' END,
            1 + n % 5, now() - (n || ' seconds')::interval, now() - (n % 1000 || ' seconds')::interval
       FROM generate_series(1, $1) AS n`,
    [users],
  );
  // The cache as the populator would have written it, straight from the rows.
  for await (const states of streamUserStates(pool, 10_000)) {
    const pipeline = redis.pipeline();
    for (const state of states) {
      if (state.deleted) continue;
      const fields = liveFields(state.user);
      pipeline.hset(userKey(state.id), 'version', String(state.version), ...entryFields({ id: state.id, ...fields, version: state.version, eventId: 'seeded' }));
    }
    await pipeline.exec();
  }
  await pool.query('ANALYZE users');
}

/** The heap's growth while `work` runs: samples after a full collection every 250 ms, peak minus the start. */
async function peakHeapGrowth<T>(work: () => Promise<T>): Promise<{ result: T; bytes: number }> {
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  const sample = () => {
    collect();
    return process.memoryUsage().heapUsed;
  };
  const before = sample();
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, sample());
  }, 250);
  try {
    const result = await work();
    return { result, bytes: Math.max(peak, sample()) - before };
  } finally {
    clearInterval(timer);
  }
}

async function ceilingRowsPerSecond(): Promise<number> {
  const started = performance.now();
  let rows = 0;
  for await (const batch of userSource(pool).stream()) rows += batch.length;
  return rows / ((performance.now() - started) / 1000);
}

/** What a first attempt looks like: each user read, then its entry read, one round trip at a time. */
async function naiveRowsPerSecond(): Promise<number> {
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM users LIMIT $1', [NAIVE_SAMPLE]);
  const started = performance.now();
  let drift = 0;
  for (const { id } of rows) {
    const state = (await readUserStates(pool, [id])).get(id);
    const cached = parseCachedUser(id, await redis.hgetall(userKey(id)));
    if (!state || state.deleted || cached.state !== 'present' || cached.entry.version !== state.version || userFingerprint(cached.entry) !== userFingerprint(liveFields(state.user))) drift += 1;
  }
  if (drift > 0) throw new Error(`the naive check found ${drift} drifted entries in a clean cache`);
  return rows.length / ((performance.now() - started) / 1000);
}

try {
  await seed();
  const ceiling = await ceilingRowsPerSecond();
  const naive = await naiveRowsPerSecond();
  const { result: reports, bytes: heapBytes } = await peakHeapGrowth(() => verify(userSource(pool), [userCacheProjection(redis)], { graceMs: 5_000 }));
  const [report] = reports;
  if (!report) throw new Error('verify reported nothing');
  if (driftTotal(report) > 0) throw new Error(`verify found drift in a clean cache: ${JSON.stringify(report.counts)}`);
  const rate = report.checked / report.seconds;
  console.log('');
  console.log(`| check | users | seconds | users/s | vs naive |`);
  console.log(`|---|---:|---:|---:|---:|`);
  console.log(`| verify (cursor + pipelined HMGET + SCAN for orphans) | ${report.checked} | ${report.seconds.toFixed(1)} | ${Math.round(rate)} | ${(rate / naive).toFixed(1)}× |`);
  console.log(`| ceiling: stream the users alone | ${users} | ${(users / ceiling).toFixed(1)} | ${Math.round(ceiling)} | ${(ceiling / naive).toFixed(1)}× |`);
  console.log(`| baseline: one SELECT + one HGETALL per user (sample) | ${NAIVE_SAMPLE} | ${(NAIVE_SAMPLE / naive).toFixed(1)} | ${Math.round(naive)} | 1.0× |`);
  console.log('');
  const projected = 1_000_000 / rate;
  console.log(`verify runs at ${(rate / ceiling).toFixed(2)}× the speed of reading the table alone; 1,000,000 users take ${projected.toFixed(1)} s at this rate (target ≤ 60 s: ${projected <= 60 ? 'met' : 'NOT met'})`);
  console.log(`verify's heap: ${(heapBytes / 1024 / 1024).toFixed(1)} MiB at its peak over the heap before, for ${report.checked} users (sampled after a full GC every 250 ms, which slows it a little)`);
} finally {
  if (!keep) {
    await redis.flushdb();
    await pool.query('TRUNCATE users, user_deletions');
  }
  redis.disconnect();
  await pool.end();
}
