import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { SerdeError, SerdeErrorCode } from '@evergreen/avro-serde';
import { createPool } from '@evergreen/platform';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildApp } from './app.ts';
import { API_POOL_OPTIONS, apiRedisOptions } from './clients.ts';
import { isRedisUnavailable, unavailableDependency } from '@evergreen/http-problem';
import { ALICE, fakeOutbox, setup } from './test-support.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
const PROBLEM = 'https://evergreen.dev/problems/dependency-unavailable';

/** A TCP port that accepts connections and never says a word: a dependency that hangs. */
async function silentServer(): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => {
    sockets.forEach((socket) => socket.destroy());
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on: a dependency that is down. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function apiRedis(port: number): Redis {
  const redis = new Redis(apiRedisOptions({ host: '127.0.0.1', port, db: 0, appendfsync: 'everysec' }));
  redis.on('error', () => undefined);
  onTestFinished(() => redis.disconnect());
  return redis;
}

describe('a write while PostgreSQL is unavailable', () => {
  it.each<[string, Error]>([
    ['refuses connections (down)', withCode('connect ECONNREFUSED 127.0.0.1:15432', 'ECONNREFUSED')],
    ['is starting up after a restart (57P03)', withCode('the database system is starting up', '57P03')],
    ['was killed in the middle of the transaction', new Error('Connection terminated unexpectedly')],
    ['gives no connection in time', new Error('timeout exceeded when trying to connect')],
  ])('answers 503 dependency-unavailable naming postgres, with Retry-After, when PostgreSQL %s', async (_case, error) => {
    const { register } = await setup({ failOn: { statement: 'INSERT INTO users', error } });

    const response = await register(ALICE);

    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.json()).toMatchObject({ type: PROBLEM, status: 503, title: 'Dependency unavailable', dependency: 'postgres' });
    expect(response.json().detail).toContain('PostgreSQL');
  });

  it('answers a PATCH the same way', async () => {
    const { app } = await setup({ failOn: { statement: 'SELECT id, email,', error: withCode('connect ECONNREFUSED 127.0.0.1:15432', 'ECONNREFUSED') } });

    const response = await app.inject({ method: 'PATCH', url: `/users/${randomUUID()}`, headers: { 'if-match': '"1"' }, payload: { name: 'Ada' } });

    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ type: PROBLEM, dependency: 'postgres' });
  });

  it('answers a read 503 naming postgres when neither the cache nor PostgreSQL answers', async () => {
    const { app } = await setup({ readError: new Error('Command timed out'), poolQueryError: withCode('connect ECONNREFUSED 127.0.0.1:15432', 'ECONNREFUSED') });

    const response = await app.inject({ method: 'GET', url: `/users/${randomUUID()}` });

    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.json()).toMatchObject({ type: PROBLEM, dependency: 'postgres' });
  });

  it('still answers 500 for a fault that is not a dependency being away', async () => {
    const { register } = await setup({ failOn: { statement: 'INSERT INTO users', error: withCode('null value in column "name"', '23502') } });

    expect((await register(ALICE)).statusCode).toBe(500);
  });
});

describe('GET /ready while a dependency is down', () => {
  it('answers 503 with Retry-After', async () => {
    const { app } = await setup({ pingError: new Error('Command timed out') });

    const response = await app.inject({ method: 'GET', url: '/ready' });

    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
  });
});

describe('unavailableDependency', () => {
  it.each<[string, unknown, string | undefined]>([
    ['ioredis giving up after its retries', Object.assign(new Error('Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest" option for details.'), { name: 'MaxRetriesPerRequestError' }), 'redis'],
    ['an ioredis command timeout', new Error('Command timed out'), 'redis'],
    ['a closed ioredis connection', new Error('Connection is closed.'), 'redis'],
    ['Redis loading its append-only file after a restart', Object.assign(new Error('LOADING Redis is loading the dataset in memory'), { name: 'ReplyError' }), 'redis'],
    ['a Redis reply about the data', Object.assign(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'), { name: 'ReplyError' }), undefined],
    ['PostgreSQL refusing connections', withCode('connect ECONNREFUSED 127.0.0.1:15432', 'ECONNREFUSED'), 'postgres'],
    ['a statement_timeout', withCode('canceling statement due to statement timeout', '57014'), 'postgres'],
    ['a unique violation', withCode('duplicate key value', '23505'), undefined],
    ['the registry away while the outbox looks up a schema id', new SerdeError(SerdeErrorCode.REGISTRY_UNAVAILABLE, 'schema registry unavailable'), 'registry'],
    ['a value the schema refuses', new SerdeError(SerdeErrorCode.INVALID_VALUE, 'value does not match schema'), undefined],
    ['a bug', new TypeError('cannot read properties of undefined'), undefined],
  ])('names %s', (_case, error, dependency) => {
    expect(unavailableDependency(error)).toBe(dependency);
  });
});

describe("the API's clients (clients.ts)", () => {
  it('give up on a Redis that accepts connections but never answers within a second, instead of waiting forever', async () => {
    const redis = apiRedis(await silentServer());
    const started = Date.now();

    const error = await redis.hgetall('evergreen:user:x').catch((failure: unknown) => failure);

    expect(Date.now() - started).toBeLessThan(1_500);
    expect(isRedisUnavailable(error)).toBe(true);
  });

  it('give up on a Redis that is down within a second', async () => {
    const redis = apiRedis(await closedPort());
    const started = Date.now();

    const error = await redis.hgetall('evergreen:user:x').catch((failure: unknown) => failure);

    expect(Date.now() - started).toBeLessThan(1_500);
    expect(isRedisUnavailable(error)).toBe(true);
  });

  it('with both PostgreSQL and Redis down: a write and a read answer 503 naming postgres within 3 s, and the process stays up', async () => {
    const pool = createPool({ host: '127.0.0.1', port: await closedPort(), database: 'x', user: 'x', password: 'x' }, API_POOL_OPTIONS, { warn: () => undefined });
    onTestFinished(() => pool.end());
    const redis = apiRedis(await closedPort());
    const { outbox } = fakeOutbox([]);
    const app = await buildApp({ pool, outbox, redis, readYourWritesTimeoutMs: 100 });
    onTestFinished(() => app.close());

    for (const request of [
      { method: 'POST' as const, url: '/users', payload: ALICE },
      { method: 'GET' as const, url: `/users/${randomUUID()}?minVersion=2` },
    ]) {
      const started = Date.now();
      const response = await app.inject(request);
      expect(Date.now() - started, request.url).toBeLessThan(3_000);
      expect(response.statusCode, request.url).toBe(503);
      expect(response.json(), request.url).toMatchObject({ type: PROBLEM, dependency: 'postgres' });
    }
  });

  it('with PostgreSQL hanging: a write answers 503 naming postgres within the connection timeout', async () => {
    const pool = createPool({ host: '127.0.0.1', port: await silentServer(), database: 'x', user: 'x', password: 'x' }, API_POOL_OPTIONS, { warn: () => undefined });
    onTestFinished(() => pool.end());
    const { outbox } = fakeOutbox([]);
    const app = await buildApp({ pool, outbox, redis: apiRedis(await closedPort()), readYourWritesTimeoutMs: 100 });
    onTestFinished(() => app.close());
    const started = Date.now();

    const response = await app.inject({ method: 'POST', url: '/users', payload: ALICE });

    expect(Date.now() - started).toBeLessThan(3_000);
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ type: PROBLEM, dependency: 'postgres' });
  });
});
