import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { logLevel, type Admin } from 'kafkajs';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityLogGenerations, activityLogMigrations, createGenerationalActivityLog } from '@evergreen/activity-log';
import { AvroSerde } from '@evergreen/avro-serde';
import { cacheRebuildTarget, createGenerationalCachePopulator } from '@evergreen/cache-populator';
import { rebuildProjection, type GenerationalConsumer } from '@evergreen/consumer';
import { createOutbox } from '@evergreen/outbox';
import { eventCatalog } from '@evergreen/schemas';
import { aggregateTopic, createKafka, createLogger, createPool, findRepoRoot, loadStackConfig, migrate, pollUntil } from '@evergreen/platform';
import { buildApp } from '@evergreen/registration-api';
import { parseCachedUser, readActiveUserGeneration, userKey, userKeyspace, type CachedUser } from '@evergreen/user-read-model';
import type { UserRow } from '@evergreen/user-aggregate';
import { startGroupAtEnd } from './support/caught-up.ts';
import { uniqueEmail } from './support/harness.ts';
import { REBUILD_SCRATCH_REDIS_DB } from './support/namespace.ts';

/**
 * The Redis database of this file only: the rebuild moves the cache's active generation, which
 * every other suite (on the e2e database, config.redis.db) expects to stay at 1. Flushed before
 * and after, but only when empty or holding MARKER (a database with other keys is someone else's:
 * the benchmarks use 13 and 14). Likewise the activity log lives in a PostgreSQL schema of its own.
 */
const REBUILD_REDIS_DB = REBUILD_SCRATCH_REDIS_DB;
const MARKER = 'evergreen:e2e:rebuild';

interface Written {
  version: number;
  deleted: boolean;
}

/** Runs `npm run rebuild -- <args>` from the repository root, as an operator would. */
function runRebuildCli(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 600_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('npm', ['run', '--silent', 'rebuild', '--', ...args], { cwd: findRepoRoot(), env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

/** What the cache entry must say about a users row. */
function sameUser(cached: CachedUser, row: UserRow): boolean {
  if (cached.state !== 'present') return false;
  const { entry } = cached;
  return (
    entry.version === Number(row.version) &&
    entry.email === row.email &&
    entry.name === row.name &&
    entry.avatarUrl === row.avatar_url &&
    entry.registeredAt === row.created_at.getTime() &&
    entry.updatedAt === row.updated_at.getTime()
  );
}

// Issue #10 point 5: `npm run rebuild -- <consumer>` rebuilds a projection from offset 0 into a
// fresh namespace under a new group while writes flow, switches reads atomically, drops the old one.
describe('npm run rebuild: blue-green rebuild of the cache and the activity log while writes flow', () => {
  const config = loadStackConfig();
  const topic = aggregateTopic(config, 'user');
  const logger = createLogger('e2e-rebuild', process.env.EVERGREEN_E2E_LOG_LEVEL ?? 'silent');
  const run = randomUUID().slice(0, 8);
  const schema = `rebuild_e2e_${run}`;
  const searchPath = `-c search_path=${schema},public`;
  const groups = { cache: `e2e-rebuild-${run}-cache-populator`, activity: `e2e-rebuild-${run}-activity-log` };
  const serde = AvroSerde.forRegistry(config.registry);
  // users and the outbox: the e2e database as it is.
  const pool = createPool(config.postgres, { max: 6 });
  // The activity log's tables, inbox and generation pointer: this file's schema.
  const projectionPool = createPool(config.postgres, { max: 8, options: searchPath });
  const redis = new Redis({ host: config.redis.host, port: config.redis.port, db: REBUILD_REDIS_DB });
  // Others restart the stack's Redis now and then; ioredis reconnects, and the framework retries.
  redis.on('error', () => undefined);
  const admin: Admin = createKafka({ clientId: 'evergreen-e2e-rebuild', brokers: config.kafka.brokers, logLevel: logLevel.ERROR }).admin();
  const quickRetry = { initialMs: 50, maxMs: 1_000 };
  let app: FastifyInstance;
  let populator: GenerationalConsumer;
  let activityLog: GenerationalConsumer;

  const written = new Map<string, Written>();
  const writerErrors: string[] = [];
  let writing = false;
  let writers: Promise<void>[] = [];


  async function groupsCaughtUp(groupIds: string[]): Promise<boolean> {
    const ends = await admin.fetchTopicOffsets(topic);
    for (const groupId of groupIds) {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const done = ends.every(({ partition, high }) => BigInt(committed?.partitions.find((entry) => entry.partition === partition)?.offset ?? '-1') >= BigInt(high));
      if (!done) return false;
    }
    return true;
  }

  async function register(label: string): Promise<string> {
    const response = await app.inject({ method: 'POST', url: '/users', payload: { email: uniqueEmail(label), name: `${label} v1` } });
    if (response.statusCode !== 201) throw new Error(`POST /users answered ${response.statusCode}: ${response.body}`);
    const { id, version } = response.json<{ id: string; version: number }>();
    written.set(id, { version, deleted: false });
    return id;
  }

  /** Keeps changing users through the API (so through the outbox) until stopped: updates mostly, some registrations and deletions. */
  async function writeContinuously(): Promise<void> {
    const busy = new Set<string>();
    const loop = async () => {
      while (writing) {
        const roll = Math.random();
        try {
          if (roll < 0.25) {
            await register('rebuild');
          } else {
            const live = [...written.entries()].filter(([id, user]) => !user.deleted && !busy.has(id));
            const picked = live[Math.floor(Math.random() * live.length)];
            if (picked) {
              const [id, user] = picked;
              busy.add(id);
              try {
                const headers = { 'if-match': `"${user.version}"` };
                if (roll < 0.33) {
                  const response = await app.inject({ method: 'DELETE', url: `/users/${id}`, headers });
                  if (response.statusCode !== 204) throw new Error(`DELETE answered ${response.statusCode}: ${response.body}`);
                  written.set(id, { version: Number(String(response.headers.etag).replaceAll('"', '')), deleted: true });
                } else {
                  const response = await app.inject({ method: 'PATCH', url: `/users/${id}`, headers, payload: { name: `rebuild v${user.version + 1}` } });
                  if (response.statusCode !== 200) throw new Error(`PATCH answered ${response.statusCode}: ${response.body}`);
                  written.set(id, { version: response.json<{ version: number }>().version, deleted: false });
                }
              } finally {
                busy.delete(id);
              }
            }
          }
        } catch (error) {
          writerErrors.push((error as Error).message);
        }
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    };
    writers = [loop(), loop()];
  }

  beforeAll(async () => {
    await pool.query(`CREATE SCHEMA "${schema}"`);
    // consumer_inbox, projection_generation, user_activity, user_activity_daily: in the schema (first on the search path).
    await migrate(projectionPool, activityLogMigrations());
    if ((await redis.dbsize()) > 0 && (await redis.exists(MARKER)) === 0) throw new Error(`Redis db ${REBUILD_REDIS_DB} holds keys that are not this suite's; it is this suite's scratch database`);
    await redis.flushdb();
    await redis.set(MARKER, String(process.pid));
    await admin.connect();
    app = await buildApp({ pool, outbox: createOutbox({ serde, config, catalog: eventCatalog }), redis, readYourWritesTimeoutMs: config.api.readYourWritesTimeoutMs });

    // The services, as main.ts runs them, following their active generation (polled every 200 ms here).
    await Promise.all([startGroupAtEnd(admin, groups.cache, [topic]), startGroupAtEnd(admin, groups.activity, [topic])]);
    populator = createGenerationalCachePopulator({ brokers: config.kafka.brokers, topic, baseGroupId: groups.cache, redis, serde, logger, registry: new Registry(), retry: quickRetry, generationPollMs: 200 });
    activityLog = createGenerationalActivityLog({ brokers: config.kafka.brokers, topic, baseGroupId: groups.activity, pool: projectionPool, serde, logger, registry: new Registry(), retry: quickRetry, generationPollMs: 200 });
    await Promise.all([populator.start(), activityLog.start()]);
  });

  afterAll(async () => {
    writing = false;
    await Promise.allSettled(writers);
    await Promise.allSettled([populator?.stop(), activityLog?.stop()]);
    await app?.close();
    await admin.deleteGroups([groups.cache, groups.activity, `${groups.cache}.g2`, `${groups.activity}.g2`]).catch(() => undefined);
    await admin.disconnect();
    await redis.flushdb().catch(() => undefined);
    redis.disconnect();
    await projectionPool.end();
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  it('refuses an unknown consumer with the usage', async () => {
    const cli = await runRebuildCli(['no-such-consumer'], process.env, 60_000);

    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('unknown consumer no-such-consumer');
    expect(cli.stderr).toContain('npm run rebuild -- <cache-populator|activity-log>');
  });

  it('rebuilds both from offset 0 into generation 2, switches readers and services, and drops generation 1', async () => {
    // 120 users the services saw at generation 1.
    const ids: string[] = [];
    for (let i = 0; i < 120; i += 4) ids.push(...(await Promise.all([0, 1, 2, 3].map(() => register('rebuild')))));
    await pollUntil(
      async () => {
        const pipeline = redis.pipeline();
        for (const id of ids) pipeline.hget(userKey(id), 'version');
        const versions = (await pipeline.exec()) ?? [];
        const { rows } = await projectionPool.query<{ users: string }>('SELECT count(DISTINCT user_id) AS users FROM user_activity WHERE user_id = ANY($1)', [ids]);
        return versions.every(([, version]) => version === '1') && rows[0]?.users === String(ids.length);
      },
      { description: 'generation 1 of the cache and of the activity log to hold the 120 users', timeoutMs: 60_000, intervalMs: 200 },
    );

    // Writes flow from here to the end of both rebuilds.
    writing = true;
    void writeContinuously();

    // 100 users damaged: 50 cache entries gone, 50 wrong; their activity rows gone.
    const damaged = ids.slice(0, 100);
    expect(await redis.del(...damaged.slice(0, 50).map((id) => userKey(id)))).toBe(50);
    for (const id of damaged.slice(50)) await redis.hset(userKey(id), 'name', 'corrupted', 'email', 'corrupted@example.com');
    const removed = await projectionPool.query('DELETE FROM user_activity WHERE user_id = ANY($1)', [damaged]);
    expect(removed.rowCount).toBeGreaterThanOrEqual(100);

    // The cache, in this process.
    const cacheLines: string[] = [];
    const result = await rebuildProjection(
      cacheRebuildTarget({ brokers: config.kafka.brokers, topic, baseGroupId: groups.cache, redis, serde, logger, registry: new Registry() }),
      { report: (line) => cacheLines.push(line), switchTimeoutMs: 30_000, pollIntervalMs: 100 },
    );
    expect(result, cacheLines.join('\n')).toMatchObject({ from: 1, to: 2, serviceSwitched: true });
    expect(result.records).toBeGreaterThan(0);
    expect(cacheLines).toContain(`preparing generation 2: keys evergreen:user.g2:*; group ${groups.cache}.g2`);
    expect(cacheLines).toContain('switched: generation 2 is active; readers read it from now on');
    expect(cacheLines).toContain(`the service switched to ${groups.cache}.g2`);
    expect(cacheLines.some((line) => /^generation 2: [\d,]+\/[\d,]+ record\(s\) \(100%\)/.test(line))).toBe(true);
    expect(populator.generation()).toBe(2);
    console.log(`[e2e] cache rebuild: ${cacheLines.at(-1)}`);

    // The activity log, through the command line, as an operator runs it.
    const cli = await runRebuildCli(['activity-log'], { ...process.env, PGOPTIONS: searchPath, EVERGREEN_ACTIVITY_LOG_GROUP: groups.activity });
    const output = `${cli.stdout}\n${cli.stderr}`;
    expect(cli.code, output).toBe(0);
    expect(cli.stdout).toContain(`[rebuild] activity-log: generation 1 is active (tables user_activity, user_activity_daily, inbox activity-log; group ${groups.activity})`);
    expect(cli.stdout).toContain('[rebuild] switched: generation 2 is active; readers read it from now on');
    expect(cli.stdout).toContain(`[rebuild] the service switched to ${groups.activity}.g2`);
    expect(cli.stdout).toContain('[rebuild] done in');
    expect(activityLog.generation()).toBe(2);
    console.log(`[e2e] activity-log rebuild: ${cli.stdout.trim().split('\n').at(-1)}`);

    writing = false;
    await Promise.all(writers);
    expect(writerErrors).toEqual([]);
    expect([...written.values()].filter((user) => !user.deleted).length).toBeGreaterThan(100);

    // Generation 2 is active in both stores; generation 1 and its groups are gone.
    expect(await readActiveUserGeneration(redis)).toBe(2);
    expect(await activityLogGenerations(projectionPool).readActive()).toBe(2);
    const oldKeys: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', userKeyspace(1).keyPattern, 'COUNT', 5_000);
      oldKeys.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    expect(oldKeys).toEqual([]);
    const { rows: relations } = await projectionPool.query<{ relname: string; relkind: string }>(
      `SELECT relname, relkind FROM pg_class WHERE relnamespace = $1::regnamespace AND relname LIKE 'user_activity%' AND relkind IN ('r', 'v') ORDER BY relname`,
      [schema],
    );
    expect(relations).toEqual([
      { relname: 'user_activity', relkind: 'v' },
      { relname: 'user_activity_daily', relkind: 'v' },
      { relname: 'user_activity_daily_g2', relkind: 'r' },
      { relname: 'user_activity_g2', relkind: 'r' },
    ]);
    const { rows: inbox } = await projectionPool.query<{ consumer: string }>('SELECT DISTINCT consumer FROM consumer_inbox');
    expect(inbox).toEqual([{ consumer: 'activity-log.g2' }]);
    const { groups: listed } = await admin.listGroups();
    const names = listed.map((group) => group.groupId);
    expect(names).not.toContain(groups.cache);
    expect(names).not.toContain(groups.activity);
    expect(names).toEqual(expect.arrayContaining([`${groups.cache}.g2`, `${groups.activity}.g2`]));

    // Once the services applied what was written last: every user in PostgreSQL is in generation 2 as it is there.
    await pollUntil(() => groupsCaughtUp([`${groups.cache}.g2`, `${groups.activity}.g2`]), { description: 'the services to apply the last writes', timeoutMs: 120_000, intervalMs: 250 });
    let mismatches: { users: number; wrong: string[] } = { users: 0, wrong: ['not compared yet'] };
    await pollUntil(
      async () => {
        const { rows } = await pool.query<UserRow>('SELECT id, email, name, avatar_url, version, created_at, updated_at FROM users');
        const wrong: string[] = [];
        for (let start = 0; start < rows.length; start += 1_000) {
          const chunk = rows.slice(start, start + 1_000);
          const pipeline = redis.pipeline();
          for (const row of chunk) pipeline.hgetall(userKeyspace(2).key(row.id));
          const hashes = (await pipeline.exec()) ?? [];
          chunk.forEach((row, index) => {
            if (!sameUser(parseCachedUser(row.id, (hashes[index]?.[1] ?? {}) as Record<string, string>), row)) wrong.push(`cache ${row.id}@${row.version}`);
          });
        }
        const { rows: behind } = await pool.query<{ id: string }>(
          `SELECT u.id FROM users u LEFT JOIN (SELECT user_id, max(version) AS version FROM "${schema}".user_activity GROUP BY user_id) a ON a.user_id = u.id::text
           WHERE a.version IS DISTINCT FROM u.version`,
        );
        wrong.push(...behind.map((row) => `activity ${row.id}`));
        mismatches = { users: rows.length, wrong };
        return wrong.length === 0;
      },
      { description: 'every user in PostgreSQL to be in generation 2 as it is there', timeoutMs: 120_000, intervalMs: 1_000 },
    ).catch(() => undefined);
    // The first differences, if any, name the users.
    expect(mismatches.wrong.slice(0, 20)).toEqual([]);
    expect(mismatches.users).toBeGreaterThanOrEqual(ids.length);

    // Every user this test wrote, the damaged ones and the deleted ones included.
    const mine = [...written.keys()];
    const pipeline = redis.pipeline();
    for (const id of mine) pipeline.hgetall(userKeyspace(2).key(id));
    const hashes = (await pipeline.exec()) ?? [];
    const { rows: activity } = await projectionPool.query<{ user_id: string; version: string }>('SELECT user_id, max(version) AS version FROM user_activity WHERE user_id = ANY($1) GROUP BY user_id', [mine]);
    const activityVersion = new Map(activity.map((row) => [row.user_id, Number(row.version)]));
    mine.forEach((id, index) => {
      const user = written.get(id) as Written;
      const cached = parseCachedUser(id, (hashes[index]?.[1] ?? {}) as Record<string, string>);
      expect(cached.state === 'present' ? { state: 'present', version: cached.entry.version } : cached, id).toEqual(user.deleted ? { state: 'deleted', version: user.version } : { state: 'present', version: user.version });
      expect(activityVersion.get(id), id).toBe(user.version);
    });
    // Each event counted once in the fresh tables: the day counts add up to the rows.
    const { rows: totals } = await projectionPool.query<{ rows: string; counted: string }>('SELECT (SELECT count(*) FROM user_activity) AS rows, (SELECT sum(events) FROM user_activity_daily) AS counted');
    expect(totals[0]?.counted).toBe(totals[0]?.rows);

    // The API reads generation 2 (it follows the pointer within a second).
    const live = mine.filter((id) => !(written.get(id) as Written).deleted).slice(0, 5);
    for (const id of live) {
      const response = await pollUntil(
        async () => {
          const answer = await app.inject({ method: 'GET', url: `/users/${id}` });
          return answer.headers['x-cache'] === 'hit' ? answer : undefined;
        },
        { description: `GET /users/${id} from the cache`, timeoutMs: 10_000, intervalMs: 100 },
      );
      expect(response.json<{ version: number }>().version).toBe((written.get(id) as Written).version);
    }
  }, 900_000);
});
