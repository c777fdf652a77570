import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { RedisClient } from '@evergreen/platform';
import type pg from 'pg';
import { onTestFinished } from 'vitest';
import type { Outbox, OutboxEvent } from '@evergreen/outbox';
import { buildApp } from './app.ts';
import { ApiMetrics } from './http/metrics.ts';
import type { UserRow } from '@evergreen/user-aggregate';
import { USER_CACHE_GENERATION_KEY } from '@evergreen/user-read-model';

// Hand-written stand-ins for the unit tests of this service for PostgreSQL and the outbox writer. Every statement any client runs,
// and every outbox publish, lands in one ordered log, so a test can read the transaction back.

export const CREATED_AT = new Date('2025-03-01T12:00:00.000Z');
export const ALICE = { email: 'alice@example.com', name: 'Alice Liddell', avatarUrl: 'https://cdn.example.com/alice.png' };

export interface FakeDbOptions {
  /** Thrown by the client when a statement starting with this text runs (e.g. 'INSERT INTO users'). */
  failOn?: { statement: string; error: Error };
  /** Thrown by pool.query, the readiness probe's and the read path's. */
  poolQueryError?: Error;
  /** Resolved to hold a transaction's users insert until the test lets it go. */
  insertGate?: Promise<void>;
  /** What SELECT ... FROM users WHERE id = $1 finds through pool.query, by id. */
  storedUsers?: Record<string, UserRow>;
  /** Answers a transaction's statement before the defaults do (undefined: the defaults answer), e.g. an idempotency key's. */
  respond?: (sql: string, params: unknown[]) => { rows: unknown[]; rowCount?: number } | undefined;
}

export function unique(message: string): Error {
  return Object.assign(new Error(message), { code: '23505', constraint: 'users_email_key', table: 'users' });
}

/** The first words of a statement, enough to tell BEGIN, COMMIT and the users insert apart. */
const statementOf = (sql: string) => sql.trim().split(/\s+/).slice(0, 3).join(' ');

export function fakeDb(options: FakeDbOptions = {}) {
  const log: string[] = [];
  const clients: object[] = [];
  const inserts: unknown[][] = [];
  let released = 0;

  const pool = {
    async connect() {
      const client = {
        async query(sql: string, params: unknown[] = []) {
          const statement = statementOf(sql);
          log.push(statement);
          if (options.failOn && statement.startsWith(options.failOn.statement)) throw options.failOn.error;
          const answered = options.respond?.(sql, params);
          if (answered) return answered;
          if (statement === 'INSERT INTO users') {
            await options.insertGate;
            inserts.push(params);
            const [id, email, name, avatarUrl] = params;
            // pg returns bigint as a string and timestamptz as a Date.
            return { rows: [{ id, email, name, avatar_url: avatarUrl, version: '1', created_at: CREATED_AT, updated_at: CREATED_AT }] };
          }
          return { rows: [] };
        },
        release() {
          released += 1;
        },
        // withTransaction guards a checked-out client with an 'error' listener while it is out.
        on() {
          return client;
        },
        removeListener() {
          return client;
        },
      };
      clients.push(client);
      return client;
    },
    async query(sql: string, params: unknown[] = []) {
      log.push(`pool: ${statementOf(sql)}`);
      if (options.poolQueryError) throw options.poolQueryError;
      if (/FROM users WHERE id = \$1/.test(sql)) {
        const row = options.storedUsers?.[String(params[0])];
        return { rows: row ? [row] : [] };
      }
      return { rows: [{ '?column?': 1 }] };
    },
  };

  return {
    pool: pool as unknown as pg.Pool,
    log,
    inserts,
    clients,
    get released() {
      return released;
    },
  };
}

export function fakeOutbox(log: string[], error?: Error) {
  const published: Array<{ tx: unknown; event: OutboxEvent }> = [];
  const outbox: Outbox = {
    async publish(tx, event) {
      log.push(`outbox.publish ${event.eventType}`);
      if (error) throw error;
      published.push({ tx, event });
      return { eventId: 'evt-1', topic: 'evergreen.user' };
    },
  };
  return { outbox, published };
}

export interface FakeRedisOptions {
  /** The hashes HGETALL finds, by key; a test may change them while a read waits. */
  hashes?: Map<string, Record<string, string>>;
  pingError?: Error;
  /** Thrown by HGETALL: the cache is down. */
  readError?: Error;
  /** The cache's active generation (the pointer GET answers it; absent: generation 1). */
  generation?: number;
}

/** The commands the API sends to Redis: GET of the active generation and HGETALL (the read path), PING (readiness). */
export function fakeRedis(options: FakeRedisOptions = {}) {
  const hashes = options.hashes ?? new Map<string, Record<string, string>>();
  let reads = 0;
  const redis = {
    async get(key: string) {
      return key === USER_CACHE_GENERATION_KEY && options.generation !== undefined ? String(options.generation) : null;
    },
    async hgetall(key: string) {
      reads += 1;
      if (options.readError) throw options.readError;
      return { ...(hashes.get(key) ?? {}) };
    },
    async ping() {
      if (options.pingError) throw options.pingError;
      return 'PONG';
    },
  };
  return {
    redis: redis as unknown as RedisClient,
    hashes,
    get reads() {
      return reads;
    },
  };
}

export interface SetupOptions extends FakeDbOptions, FakeRedisOptions {
  outboxError?: Error;
  logger?: FastifyBaseLogger;
  readYourWritesTimeoutMs?: number;
}

/** The app on fakes, closed when the test ends. */
export async function setup(options: SetupOptions = {}) {
  const db = fakeDb(options);
  const cache = fakeRedis(options);
  const { outbox, published } = fakeOutbox(db.log, options.outboxError);
  const metrics = new ApiMetrics();
  const app: FastifyInstance = await buildApp({ pool: db.pool, outbox, redis: cache.redis, readYourWritesTimeoutMs: options.readYourWritesTimeoutMs ?? 100, metrics, ...(options.logger ? { logger: options.logger } : {}) });
  onTestFinished(() => app.close());
  const register = (payload: unknown) => app.inject({ method: 'POST', url: '/users', payload: payload as object });
  return { app, db, cache, metrics, published, register };
}
