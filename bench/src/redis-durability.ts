import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisVersionedSink, type ConsumedEvent, type PendingOperation, type VersionedOperation } from '@evergreen/consumer';
import { APPEND_FSYNC_POLICIES, loadStackConfig, type AppendFsync } from '@evergreen/platform';
import { entryFields, userKey } from '@evergreen/user-read-model';

// `npm run bench:redis-durability [-- <records> [<rounds>]]`: what fsyncing the append-only file
// before every answer (appendfsync always) costs the cache writes, against once a second
// (everysec, the default) measured in the same run. The same versioned writes go through
// RedisVersionedSink, as the cache populator applies them, to a scratch database of the stack's
// Redis, once per policy per round. The policy is the server's: it is restored afterwards.
const records = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 3);
if (!Number.isInteger(records) || !Number.isInteger(rounds) || records < 1_000 || rounds < 1) {
  console.error('usage: npm run bench:redis-durability -- [<records, default 200000, at least 1000> [<rounds, default 3>]]');
  process.exit(2);
}

/**
 * Not the demo's (0) nor the end-to-end tests' (1), nor those other tests and benchmarks use as
 * scratch (14, 15). Only this database is ever flushed, and only once this run has found it empty
 * or holding its marker.
 */
const SCRATCH_DB = 13;
/** Present while this bench owns the scratch database; a database with keys but without it is someone else's. */
const MARKER = 'evergreen:bench:redis-durability';
const VERSIONS_PER_USER = 4;
/** The populator's shape: three partitions at once, each applying its records in order, a slice per call. */
const LANES = 3;

interface Workload {
  name: string;
  /** Records per sink.apply (the populator applies up to 1000 per slice, fewer when traffic is light). */
  perApply: number;
  records: number;
}
const WORKLOADS: Workload[] = [
  { name: 'batches of 500 (catching up)', perApply: 500, records },
  // A trickle: each record its own batch, so each write waits for its own fsync.
  { name: 'one record per apply (trickle)', perApply: 1, records: Math.max(1_000, Math.floor(records / 20)) },
];

const config = loadStackConfig();
if (config.redis.db === SCRATCH_DB) {
  console.error(`EVERGREEN_REDIS_DB is ${SCRATCH_DB}, the scratch database this bench flushes; choose another one`);
  process.exit(2);
}
const redis = new Redis({ host: config.redis.host, port: config.redis.port, db: SCRATCH_DB });
const admin = new Redis({ host: config.redis.host, port: config.redis.port, db: SCRATCH_DB });
const sink = new RedisVersionedSink(redis);
const say = (line: string) => console.error(`[bench] ${line}`);

/** Each lane's operations in apply order: version by version, so every slice mixes many users, as on a topic. */
function operations(total: number): Array<Array<PendingOperation<VersionedOperation>>> {
  const users = Array.from({ length: Math.floor(total / VERSIONS_PER_USER) }, () => randomUUID());
  const lanes: Array<Array<PendingOperation<VersionedOperation>>> = Array.from({ length: LANES }, () => []);
  const registeredAt = Date.now();
  for (let version = 1; version <= VERSIONS_PER_USER; version += 1) {
    users.forEach((userId, index) => {
      const eventId = randomUUID();
      const fields = entryFields({ id: userId, email: `${userId}@example.com`, name: `Bench User ${version}`, avatarUrl: null, version, registeredAt, updatedAt: registeredAt + version, eventId });
      // The sink reads only the operation; the event is there for the framework's bookkeeping.
      const event = { eventId, eventType: 'UserProfileUpdated', aggregateId: userId, aggregateVersion: version } as ConsumedEvent;
      lanes[index % LANES]?.push({ op: { kind: 'upsert', key: userKey(userId), version, fields }, event });
    });
  }
  return lanes;
}

async function flushScratch(): Promise<void> {
  await admin.flushdb();
  await admin.set(MARKER, String(process.pid));
  // A rewrite still running (one that started before this bench) would slow whichever round it overlaps.
  while (/aof_rewrite_in_progress:1/.test(await admin.info('persistence'))) await new Promise((resolve) => setTimeout(resolve, 200));
}

/** Applies every lane's operations, the lanes side by side; records per second. */
async function applyAll(lanes: Array<Array<PendingOperation<VersionedOperation>>>, perApply: number): Promise<{ applied: number; seconds: number }> {
  const started = performance.now();
  const applied = await Promise.all(
    lanes.map(async (lane) => {
      let count = 0;
      for (let start = 0; start < lane.length; start += perApply) {
        const outcomes = await sink.apply(lane.slice(start, start + perApply));
        count += outcomes.filter((outcome) => outcome === 'applied').length;
      }
      return count;
    }),
  );
  return { applied: applied.reduce((total, count) => total + count, 0), seconds: (performance.now() - started) / 1000 };
}

async function setPolicy(policy: AppendFsync): Promise<void> {
  await admin.config('SET', 'appendfsync', policy);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

const [, originalPolicy = 'everysec'] = (await admin.config('GET', 'appendfsync')) as string[];
const [, appendOnly = 'no'] = (await admin.config('GET', 'appendonly')) as string[];
// Every round flushes and rewrites the scratch data, so the file would double again and again and
// Redis rewrite it in the background all the time, which is not what is measured here: automatic
// rewrites are off during the run, and back on (at the same setting) afterwards.
const [, originalRewritePercentage = '100'] = (await admin.config('GET', 'auto-aof-rewrite-percentage')) as string[];
let restored = false;
/** Set once the scratch database is known to be this bench's: nothing is flushed before. */
let owned = false;
async function restore(): Promise<void> {
  if (restored) return;
  restored = true;
  await admin.config('SET', 'appendfsync', originalPolicy);
  await admin.config('SET', 'auto-aof-rewrite-percentage', originalRewritePercentage);
  say(`restored appendfsync ${originalPolicy} and auto-aof-rewrite-percentage ${originalRewritePercentage}`);
  if (owned) {
    await admin.flushdb();
    say(`flushed db ${SCRATCH_DB}`);
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void restore().finally(() => process.exit(130));
  });
}

/** Background rewrites of the append-only file fork and write the whole data set: they slow whatever runs meanwhile. */
const aofRewrites = async () => Number(/aof_rewrites:(\d+)/.exec(await admin.info('persistence'))?.[1] ?? 0);
const rewritesBefore = await aofRewrites();
let rewritesDuring = 0;

const rates = new Map<string, number[]>();
try {
  const keys = await admin.dbsize();
  if (keys > 0 && (await admin.exists(MARKER)) === 0) throw new Error(`db ${SCRATCH_DB} holds ${keys} keys this bench did not write; it flushes only its own scratch database`);
  owned = true;
  if (appendOnly !== 'yes') say('appendonly is off on this Redis: the fsync policy changes nothing');
  say(`Redis ${config.redis.host}:${config.redis.port} db ${SCRATCH_DB}, appendfsync was ${originalPolicy}, appendonly ${appendOnly}`);
  await admin.config('SET', 'auto-aof-rewrite-percentage', '0');

  for (const workload of WORKLOADS) {
    const lanes = operations(workload.records);
    const total = lanes.reduce((sum, lane) => sum + lane.length, 0);
    await setPolicy('everysec');
    await flushScratch();
    await applyAll(lanes.map((lane) => lane.slice(0, Math.ceil(lane.length / 10))), workload.perApply); // warm-up: the script loaded, connections hot
    for (let round = 0; round < rounds; round += 1) {
      // Alternate which policy goes first, so drift on a shared machine falls on both.
      const order = round % 2 === 0 ? APPEND_FSYNC_POLICIES : [...APPEND_FSYNC_POLICIES].reverse();
      for (const policy of order) {
        await flushScratch();
        await setPolicy(policy);
        const { applied, seconds } = await applyAll(lanes, workload.perApply);
        if (applied !== total) throw new Error(`${workload.name}, ${policy}: applied ${applied} of ${total} writes`);
        const rate = applied / seconds;
        rates.set(`${workload.name}|${policy}`, [...(rates.get(`${workload.name}|${policy}`) ?? []), rate]);
        say(`${workload.name}, appendfsync ${policy}, round ${round + 1}: ${total} records in ${seconds.toFixed(2)} s = ${rate.toFixed(0)} records/s`);
      }
    }
  }
  rewritesDuring = (await aofRewrites()) - rewritesBefore;
} finally {
  await restore();
  redis.disconnect();
  admin.disconnect();
}

console.log(`\nVersioned cache writes through RedisVersionedSink, ${LANES} lanes side by side (the populator's partitions), median of ${rounds} round(s); fsync policy of the stack's Redis; ${rewritesDuring} AOF rewrite(s) during the run\n`);
console.log('| workload | records | appendfsync | records/s | × everysec |');
console.log('|---|---:|---|---:|---:|');
for (const workload of WORKLOADS) {
  const baseline = median(rates.get(`${workload.name}|everysec`) ?? []);
  for (const policy of APPEND_FSYNC_POLICIES) {
    const rate = median(rates.get(`${workload.name}|${policy}`) ?? []);
    console.log(`| ${workload.name} | ${workload.records - (workload.records % VERSIONS_PER_USER)} | ${policy} | ${rate.toFixed(0)} | ${(rate / baseline).toFixed(2)} |`);
  }
}
