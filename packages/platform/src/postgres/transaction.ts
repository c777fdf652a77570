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
 * How long a pool waits before it gives up, so that no caller hangs on a PostgreSQL that is down,
 * restarting or stuck: for a connection (a new one, or a free one of a full pool), for a statement
 * (the server cancels it: 57014, and the connection stays usable), and for any answer at all (the
 * client gives up on a connection that went silent; set a little above the statement timeout so
 * the server's own cancel comes first). 0 turns one off (migrations, which may run long).
 */
export interface PoolTimeouts {
  connectionTimeoutMillis: number;
  statement_timeout: number;
  query_timeout: number;
}

/** The defaults of every pool: generous enough for the batch tools, finite for everything. */
export const DEFAULT_POOL_TIMEOUTS: PoolTimeouts = { connectionTimeoutMillis: 5_000, statement_timeout: 30_000, query_timeout: 35_000 };

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
