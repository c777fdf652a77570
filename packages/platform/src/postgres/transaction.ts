import pg from 'pg';
import type { PostgresSettings } from '../config/stack-config.ts';
import type { Logger } from '../logger/logger.ts';
import { isClientSideTimeout } from './errors.ts';
import { databaseAttributes, type StoreFacts } from '../tracing/semantics.ts';
import { inChildSpan, SpanKind, type SpanSpec } from '../tracing/spans.ts';

/**
 * A client checked out of a pool, guarded for the time it is out. pg emits 'error' on a client
 * whose connection dies (PostgreSQL restarted, a network cut); the pool listens only to its idle
 * clients, so on a checked-out client nobody would, and an unheard 'error' event is an uncaught
 * exception that ends the process. The guard records the failure instead (the query in flight is
 * rejected with it as well), and release() then destroys the client rather than pooling it.
 */
export class CheckedOutClient {
  private broken: Error | undefined;
  private released = false;
  private readonly onError = (error: Error) => {
    this.broken ??= error;
  };

  constructor(readonly client: pg.PoolClient) {
    client.on('error', this.onError);
  }

  /** Why the connection is unusable, when it is: it failed, or a query was abandoned on it. */
  failure(): Error | undefined {
    return this.broken;
  }

  /** Marks the client unusable: release() destroys it. */
  discard(reason: Error): void {
    this.broken ??= reason;
  }

  /** Back to the pool, or destroyed when it failed; the guard stays on until the pool has it again. */
  release(): void {
    if (this.released) return;
    this.released = true;
    // The pool puts its idle listener back inside release(), so the client is never unguarded.
    this.client.release(this.broken);
    this.client.removeListener('error', this.onError);
  }
}

/** Checks a client out of the pool with an 'error' listener for as long as it is out. Call release() when done. */
export async function checkOutClient(pool: pg.Pool): Promise<CheckedOutClient> {
  return new CheckedOutClient(await pool.connect());
}

/**
 * Runs `work` on one client of the pool (a session: advisory locks, cursors), guarded for the
 * time it is out, and returns the client; one whose connection failed, or on which a query timed
 * out client-side (still running, so the connection is busy), is destroyed rather than pooled.
 */
export async function withClient<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const checkedOut = await checkOutClient(pool);
  try {
    return await work(checkedOut.client);
  } catch (error) {
    if (isClientSideTimeout(error)) checkedOut.discard(error as Error);
    throw error;
  } finally {
    checkedOut.release();
  }
}

/**
 * Runs `work` in one transaction: COMMIT when it resolves, ROLLBACK (and rethrow) when it throws.
 * Inside a trace (a request, a consumed record) the transaction is a span of its own.
 */
export async function withTransaction<T>(pool: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  return inChildSpan(() => transactionSpan(pool), () => runTransaction(pool, work));
}

/** The database a pool connects to, as spans name it. */
export function postgresStoreOf(pool: pg.Pool): StoreFacts {
  // A test's stand-in pool may have no options.
  const { database, host, port } = (pool.options as pg.PoolOptions | undefined) ?? {};
  return { system: 'postgresql', namespace: database, serverAddress: host, serverPort: port };
}

function transactionSpan(pool: pg.Pool): SpanSpec {
  const store = postgresStoreOf(pool);
  return {
    name: `transaction ${store.namespace ?? 'postgresql'}`,
    kind: SpanKind.CLIENT,
    attributes: databaseAttributes({ ...store, operation: 'transaction' }),
  };
}

async function runTransaction<T>(pool: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const checkedOut = await checkOutClient(pool);
  const client = checkedOut.client;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    if (isClientSideTimeout(error)) checkedOut.discard(error as Error);
    // A client whose connection failed has no transaction left to roll back (PostgreSQL ends it
    // with the session), and one still busy with an abandoned query would only queue the ROLLBACK:
    // it is destroyed instead. A ROLLBACK that fails leaves the session in doubt: destroyed too.
    if (checkedOut.failure() === undefined) await client.query('ROLLBACK').catch((rollbackError: unknown) => checkedOut.discard(rollbackError as Error));
    throw error;
  } finally {
    checkedOut.release();
  }
}

/**
 * How long PostgreSQL work may wait before it gives up, so that no caller hangs on a PostgreSQL
 * that is down, restarting or stuck, and no session of ours holds locks or a snapshot while its
 * caller waits for something else (a stalled schema registry inside an outbox transaction):
 * - connectionTimeoutMillis: for a connection (a new one, or a free one of a full pool);
 * - statement_timeout: for a statement (the server cancels it: 57014; the connection stays usable);
 * - lock_timeout: for a lock a statement waits on (55P03), below the statement's bound so that
 *   contention is told apart from a slow statement;
 * - idle_in_transaction_session_timeout: for a transaction whose client went quiet (the server ends
 *   the session: 25P03, and every lock and snapshot it held is released);
 * - query_timeout: for any answer at all (the client gives up on a connection that went silent, a
 *   server that accepts and never answers; a little above the statement timeout so the server's
 *   own cancel comes first).
 * 0 turns one off (migrations, which may run long and wait for one another's advisory lock).
 */
export interface PoolTimeouts {
  connectionTimeoutMillis: number;
  statement_timeout: number;
  lock_timeout: number;
  idle_in_transaction_session_timeout: number;
  query_timeout: number;
}

/**
 * The defaults of every pool and client: generous enough for the batch tools (verify keeps a
 * cursor's transaction open while it compares each batch of 5,000 with the read models), finite
 * for everything. The API's are tighter (services/registration-api/src/clients.ts).
 */
export const DEFAULT_POOL_TIMEOUTS: PoolTimeouts = {
  connectionTimeoutMillis: 5_000,
  statement_timeout: 30_000,
  lock_timeout: 10_000,
  idle_in_transaction_session_timeout: 60_000,
  query_timeout: 35_000,
};

/**
 * For work that may run long or waits for another process on purpose: migrations (a DDL statement
 * on a big table; pg_advisory_lock until another migrator is done) and a command's wait for another
 * run's advisory lock. The connection and an idle transaction stay bounded.
 */
export const LONG_RUNNING_TIMEOUTS: Partial<PoolTimeouts> = { statement_timeout: 0, lock_timeout: 0, query_timeout: 0 };

/**
 * A pool with finite timeouts (DEFAULT_POOL_TIMEOUTS unless `options` says otherwise), TCP
 * keep-alive, and an 'error' listener: an idle connection that dies (PostgreSQL restarted) is
 * logged and replaced on the next checkout, never thrown. Without `logger` the warning goes to stderr.
 */
export function createPool(settings: PostgresSettings, options: pg.PoolConfig = {}, logger?: Pick<Logger, 'warn'>): pg.Pool {
  const pool = new pg.Pool({ ...settings, max: 10, keepAlive: true, ...DEFAULT_POOL_TIMEOUTS, ...options });
  pool.on('error', (error: Error) => {
    if (logger) logger.warn({ err: error }, 'idle postgres connection failed; the pool replaces it');
    else console.warn(`[postgres] idle connection failed; the pool replaces it: ${error.message}`);
  });
  return pool;
}

/**
 * One connection outside any pool (a command's maintenance session), with the pools' timeouts
 * unless `options` says otherwise. The caller connects, listens for 'error' and ends it.
 */
export function createClient(settings: PostgresSettings, options: pg.ClientConfig = {}): pg.Client {
  return new pg.Client({ ...settings, keepAlive: true, ...DEFAULT_POOL_TIMEOUTS, ...options });
}
