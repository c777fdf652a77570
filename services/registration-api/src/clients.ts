import type { RedisOptions } from 'ioredis';
import type { StackConfig } from '@evergreen/platform';
import type pg from 'pg';

/**
 * The API's PostgreSQL pool: a request never waits long for PostgreSQL. No free connection within
 * 2 s, a lock not had within 2 s, a statement running past 2.5 s (cancelled by the server), or no
 * answer at all within 3 s (a server that accepts and never answers) fails the request, which
 * answers 503 dependency-unavailable with Retry-After (@evergreen/http-problem). While PostgreSQL
 * is down, connections are refused at once, so the 503 is immediate; once it is back, the pool
 * connects again by itself. A transaction left idle for 5 s (its request stuck on something else)
 * is ended by the server, releasing its locks; the registry's bound (API_REGISTRY_TIMEOUT_MS) is
 * below it, so an outbox write waiting for a schema id rolls back cleanly first.
 */
export const API_POOL_OPTIONS: pg.PoolConfig = {
  max: 10,
  connectionTimeoutMillis: 2_000,
  lock_timeout: 2_000,
  statement_timeout: 2_500,
  query_timeout: 3_000,
  idle_in_transaction_session_timeout: 5_000,
};

/** How long one schema-registry lookup may take in a request (the outbox encodes inside its transaction). */
export const API_REGISTRY_TIMEOUT_MS = 2_000;

/**
 * The API's Redis client (the read model): a command not answered within 500 ms, or not sent after
 * one reconnection attempt, fails, and the read falls back to PostgreSQL (read-user.ts) instead of
 * waiting for a Redis that is down or stuck; ioredis reconnects by itself.
 */
export function apiRedisOptions(redis: Pick<StackConfig['redis'], 'host' | 'port' | 'db'> & Partial<StackConfig['redis']>): RedisOptions {
  return { host: redis.host, port: redis.port, db: redis.db, commandTimeout: 500, maxRetriesPerRequest: 1, connectTimeout: 2_000 };
}
