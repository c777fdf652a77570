import { randomUUID } from 'node:crypto';
import { AvroSerde } from '@evergreen/avro-serde';
import { createOutbox } from '@evergreen/outbox';
import { createClient, createPool, createRedis, migrate, type RedisClient } from '@evergreen/platform';
import { startScratchHttpServer, startScratchPostgres, startScratchRedis, timed, type ScratchHttpServer, type ScratchPostgres, type ScratchRedis } from '@evergreen/platform/testing';
import { eventCatalog } from '@evergreen/schemas';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import { API_POOL_OPTIONS, API_REGISTRY_TIMEOUT_MS, apiRedisOptions } from './clients.ts';
import { registrationMigrations } from './migrations.ts';
import { ALICE } from './test-support.ts';

/**
 * The API with its own clients (clients.ts) on a PostgreSQL, a Redis and a schema registry of the
 * test's own, each in turn frozen with SIGSTOP: it accepts connections and never answers. Every
 * request is answered within the bound clients.ts documents, 503 naming the dependency, and no
 * transaction is left holding locks. The times are what the operations table reports.
 */
const PROBLEM = 'https://evergreen.dev/problems/dependency-unavailable';
// Generous: these run beside every other test on two cores; a wait without a bound would take for ever.
const SLACK_MS = 1_000;

let postgres: ScratchPostgres;
let redisServer: ScratchRedis;
let registry: ScratchHttpServer;
let pool: pg.Pool;
let redis: RedisClient;
let app: FastifyInstance;
let admin: pg.Client;

beforeAll(async () => {
  [postgres, redisServer, registry] = await Promise.all([startScratchPostgres(), startScratchRedis(), startScratchHttpServer({})]);
  pool = createPool(postgres.settings, API_POOL_OPTIONS, { warn: () => undefined });
  await migrate(pool, registrationMigrations());
  redis = createRedis(redisServer.settings, apiRedisOptions(redisServer.settings));
  redis.on('error', () => undefined);
  const outbox = createOutbox({ serde: AvroSerde.forUrl(registry.url, { timeoutMs: API_REGISTRY_TIMEOUT_MS }), config: { topics: { prefix: 'timeouts', partitions: 1 } }, catalog: eventCatalog });
  app = await buildApp({ pool, outbox, redis, readYourWritesTimeoutMs: 100 });
  // As listen() does before the first request: plugins loaded, routes compiled.
  await app.ready();
  admin = createClient(postgres.settings);
  await admin.connect();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await pool?.end();
  redis?.disconnect();
  await admin?.end();
  await Promise.all([postgres?.stop(), redisServer?.stop(), registry?.stop()]);
});

async function storedUser(): Promise<string> {
  const id = randomUUID();
  await admin.query('INSERT INTO users (id, email, name) VALUES ($1, $2, $3)', [id, `${id}@example.com`, 'Stored']);
  return id;
}

/** Client sessions of the API's pool in a transaction: what a stalled call would leave holding locks. */
async function openTransactions(): Promise<number> {
  const { rows } = await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()");
  return rows[0]?.n ?? 0;
}

function expectDependencyUnavailable(response: Awaited<ReturnType<FastifyInstance['inject']>>, dependency: string): void {
  expect(response.statusCode).toBe(503);
  expect(response.headers['retry-after']).toBe('1');
  expect(response.json()).toMatchObject({ type: PROBLEM, dependency });
}

describe('the registration API when a dependency accepts the connection and never answers', () => {
  it(`registry: a write answers 503 naming the registry within API_REGISTRY_TIMEOUT_MS (${API_REGISTRY_TIMEOUT_MS} ms), its transaction rolled back`, async () => {
    const email = `${randomUUID()}@example.com`;
    const { ms, result } = await registry.process.whilePaused(() => timed(() => app.inject({ method: 'POST', url: '/users', payload: { ...ALICE, email } }), 'API POST /users, registry frozen'));

    expectDependencyUnavailable(result as Awaited<ReturnType<FastifyInstance['inject']>>, 'registry');
    expect(ms).toBeLessThan(API_REGISTRY_TIMEOUT_MS + SLACK_MS);
    expect(await openTransactions()).toBe(0);
    expect((await admin.query('SELECT 1 FROM users WHERE email = $1', [email])).rowCount).toBe(0);
  });

  it(`postgres: a write answers 503 naming postgres within query_timeout (${API_POOL_OPTIONS.query_timeout} ms) with every backend and the postmaster frozen`, async () => {
    await pool.query('SELECT 1');
    const { rows } = await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()");
    postgres.process.pause();
    for (const { pid } of rows) postgres.process.pause(pid);
    const { ms, result } = await timed(() => app.inject({ method: 'POST', url: '/users', payload: { ...ALICE, email: `${randomUUID()}@example.com` } }), 'API POST /users, PostgreSQL frozen').finally(() => postgres.process.resume());

    expectDependencyUnavailable(result as Awaited<ReturnType<FastifyInstance['inject']>>, 'postgres');
    expect(ms).toBeLessThan((API_POOL_OPTIONS.query_timeout as number) + SLACK_MS);
  });

  it(`postgres: a change waiting for a row another session holds answers 503 within lock_timeout (${API_POOL_OPTIONS.lock_timeout} ms)`, async () => {
    const id = await storedUser();
    const holder = createClient(postgres.settings);
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [id]);
      const { ms, result } = await timed(() => app.inject({ method: 'PATCH', url: `/users/${id}`, headers: { 'if-match': '"1"' }, payload: { name: 'Changed' } }), 'API PATCH /users/:id, row lock held');

      expectDependencyUnavailable(result as Awaited<ReturnType<FastifyInstance['inject']>>, 'postgres');
      expect(ms).toBeLessThan((API_POOL_OPTIONS.lock_timeout as number) + SLACK_MS);
    } finally {
      await holder.end();
    }
  });

  it('redis: a read falls back to PostgreSQL within the command timeout (500 ms)', async () => {
    const id = await storedUser();
    await redis.ping();
    const { ms, result } = await redisServer.process.whilePaused(() => timed(() => app.inject({ method: 'GET', url: `/users/${id}` }), 'API GET /users/:id, Redis frozen'));

    const response = result as Awaited<ReturnType<FastifyInstance['inject']>>;
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-cache']).toBe('fallback');
    expect(ms).toBeLessThan(500 + SLACK_MS);
  });
});
