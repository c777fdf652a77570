import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { isPostgresUnavailable } from './errors.ts';
import { createPool, withClient, withTransaction } from './transaction.ts';

/**
 * Just enough of the PostgreSQL wire protocol to let pg connect and run simple queries, and to
 * misbehave on cue: a query naming `drop` closes the connection without an answer (PostgreSQL
 * killed), one naming `hang` is never answered (PostgreSQL stuck). `silent` servers never answer
 * the start-up at all. Every query received is recorded.
 */
async function fakePostgres(options: { silent?: boolean } = {}) {
  const queries: string[] = [];
  const sockets = new Set<Socket>();
  const message = (type: string, body: Buffer) => {
    const header = Buffer.alloc(5);
    header.write(type, 0, 'latin1');
    header.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([header, body]);
  };
  const ready = (status: string) => message('Z', Buffer.from(status, 'latin1'));
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = Buffer.alloc(0);
    let started = false;
    let inTransaction = false;
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!started) {
          if (buffer.length < 4) return;
          const length = buffer.readInt32BE(0);
          if (buffer.length < length) return;
          buffer = buffer.subarray(length);
          started = true;
          if (options.silent) return;
          const authenticationOk = message('R', Buffer.from([0, 0, 0, 0]));
          socket.write(Buffer.concat([authenticationOk, ready('I')]));
          continue;
        }
        if (buffer.length < 5) return;
        const type = String.fromCharCode(buffer[0] as number);
        const length = buffer.readInt32BE(1);
        if (buffer.length < length + 1) return;
        const body = buffer.subarray(5, length + 1);
        buffer = buffer.subarray(length + 1);
        if (type === 'X') return void socket.end();
        if (type !== 'Q') continue;
        const text = body.subarray(0, body.length - 1).toString('utf8');
        queries.push(text);
        if (text.includes('drop')) return void socket.destroy();
        if (text.includes('hang')) continue;
        if (text === 'BEGIN') inTransaction = true;
        if (text === 'COMMIT' || text === 'ROLLBACK') inTransaction = false;
        socket.write(Buffer.concat([message('C', Buffer.from(`${text.split(' ')[0]}\0`, 'utf8')), ready(inTransaction ? 'T' : 'I')]));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    queries,
    /** Cuts every open connection, as a PostgreSQL killed with SIGKILL does. */
    dropAll: () => sockets.forEach((socket) => socket.destroy()),
    close: () => {
      sockets.forEach((socket) => socket.destroy());
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const settings = (port: number) => ({ host: '127.0.0.1', port, database: 'fake', user: 'fake', password: 'fake' });
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function poolOnFakePostgres(serverOptions: { silent?: boolean } = {}, poolOptions: pg.PoolConfig = {}) {
  const server = await fakePostgres(serverOptions);
  const warnings: unknown[] = [];
  const pool = createPool(settings(server.port), poolOptions, { warn: (fields: unknown) => warnings.push(fields) });
  cleanup.push(() => server.close(), () => pool.end().catch(() => undefined));
  return { server, pool, warnings };
}

describe('withTransaction when PostgreSQL goes away', () => {
  it('rejects, rather than crashing the process, when the connection dies in the middle of a query', async () => {
    const { server, pool } = await poolOnFakePostgres();

    const failure = await withTransaction(pool, async (tx) => tx.query('SELECT drop')).catch((error: unknown) => error);

    expect((failure as Error).message).toMatch(/Connection terminated unexpectedly/);
    expect(isPostgresUnavailable(failure)).toBe(true);
    // No ROLLBACK on a connection that is gone, and the dead client is not pooled again.
    expect(server.queries).toEqual(['BEGIN', 'SELECT drop']);
    expect(pool.totalCount).toBe(0);
  });

  it("keeps pg's 'error' event on a checked-out client that is between queries from becoming an uncaught exception", async () => {
    const { server, pool } = await poolOnFakePostgres();
    let listeners = 0;

    const failure = await withTransaction(pool, async (tx) => {
      await tx.query('SELECT 1');
      listeners = tx.listenerCount('error');
      // PostgreSQL is killed while this request does something else: pg emits 'error' on the client.
      server.dropAll();
      await pause(50);
      return tx.query('SELECT 2');
    }).catch((error: unknown) => error);

    expect(listeners).toBeGreaterThan(0);
    expect(isPostgresUnavailable(failure)).toBe(true);
    expect(pool.totalCount).toBe(0);
  });

  it('destroys a client whose query timed out client-side instead of queueing a ROLLBACK behind it, and the next transaction gets a fresh one', async () => {
    const { server, pool } = await poolOnFakePostgres({}, { query_timeout: 200 });
    const started = Date.now();

    const failure = await withTransaction(pool, async (tx) => tx.query('SELECT hang')).catch((error: unknown) => error);

    expect(Date.now() - started).toBeLessThan(2_000);
    expect((failure as Error).message).toBe('Query read timeout');
    expect(isPostgresUnavailable(failure)).toBe(true);
    expect(server.queries).toEqual(['BEGIN', 'SELECT hang']);
    expect(pool.totalCount).toBe(0);
    await expect(withTransaction(pool, async (tx) => tx.query('SELECT 3'))).resolves.toBeDefined();
  });

  it('rolls back and keeps the client when the work itself fails', async () => {
    const { server, pool } = await poolOnFakePostgres();

    await expect(
      withTransaction(pool, async (tx) => {
        await tx.query('SELECT 1');
        throw new Error('version mismatch');
      }),
    ).rejects.toThrow('version mismatch');

    expect(server.queries).toEqual(['BEGIN', 'SELECT 1', 'ROLLBACK']);
    expect(pool.totalCount).toBe(1);
    expect(pool.idleCount).toBe(1);
  });

  it('takes the error listener off a client once it is back in the pool', async () => {
    const { pool } = await poolOnFakePostgres();
    let client: pg.PoolClient | undefined;

    await withTransaction(pool, async (tx) => {
      client = tx;
      return tx.query('SELECT 1');
    });

    // Only the pool's own idle listener is left.
    expect(client?.listenerCount('error')).toBe(1);
  });
});

describe('withClient', () => {
  it('rejects and destroys the client when the connection dies while it is out', async () => {
    const { server, pool } = await poolOnFakePostgres();

    const failure = await withClient(pool, async (client) => {
      server.dropAll();
      await pause(50);
      return client.query('SELECT 1');
    }).catch((error: unknown) => error);

    expect(isPostgresUnavailable(failure)).toBe(true);
    expect(pool.totalCount).toBe(0);
  });
});

describe('createPool', () => {
  it('gives up on a PostgreSQL that accepts connections but never answers, within connectionTimeoutMillis', async () => {
    const { pool } = await poolOnFakePostgres({ silent: true }, { connectionTimeoutMillis: 300 });
    const started = Date.now();

    const failure = await pool.query('SELECT 1').catch((error: unknown) => error);

    expect(Date.now() - started).toBeLessThan(2_000);
    expect(isPostgresUnavailable(failure)).toBe(true);
  });

  it('logs an idle connection that dies instead of throwing, and connects again on the next query', async () => {
    const { server, pool, warnings } = await poolOnFakePostgres();
    await pool.query('SELECT 1');

    server.dropAll();
    await pause(50);

    expect(warnings).toHaveLength(1);
    await expect(pool.query('SELECT 2')).resolves.toBeDefined();
  });

  it('has finite timeouts by default', () => {
    const pool = createPool(settings(1));
    cleanup.push(() => pool.end());
    expect(pool.options).toMatchObject({ connectionTimeoutMillis: 5_000, statement_timeout: 30_000, lock_timeout: 10_000, idle_in_transaction_session_timeout: 60_000, query_timeout: 35_000, keepAlive: true });
  });
});
