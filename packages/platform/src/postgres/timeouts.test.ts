import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startScratchPostgres, timed, type ScratchPostgres } from '../testing/index.ts';
import { isPostgresUnavailable } from './errors.ts';
import { createClient, createPool, DEFAULT_POOL_TIMEOUTS, withTransaction, type PoolTimeouts } from './transaction.ts';

/**
 * Every bound of DEFAULT_POOL_TIMEOUTS on a real PostgreSQL of the test's own, frozen with SIGSTOP
 * where the bound is the client's (a server that accepts and never answers), or made to wait where
 * it is the server's. The bounds are shortened here to keep the run short; the services' own
 * values are measured in services/registration-api/src/timeouts.test.ts.
 */
let postgres: ScratchPostgres;
beforeAll(async () => {
  postgres = await startScratchPostgres();
  const setup = createClient(postgres.settings);
  await setup.connect();
  await setup.query('CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counter VALUES (1, 0)');
  await setup.end();
}, 30_000);
afterAll(() => postgres?.stop());

const SHORT: PoolTimeouts = { connectionTimeoutMillis: 500, statement_timeout: 600, lock_timeout: 300, idle_in_transaction_session_timeout: 400, query_timeout: 800 };

function pool(timeouts: Partial<PoolTimeouts> = SHORT): pg.Pool {
  const created = createPool(postgres.settings, { max: 2, ...timeouts }, { warn: () => undefined });
  onTestFinished(() => created.end());
  return created;
}

// Generous: these run beside every other test on two cores; a wait without a bound would take for ever.
const SLACK_MS = 1_000;

describe('a pool (createPool) against a PostgreSQL that does not answer', () => {
  it('gives every session the server-side bounds it was given', async () => {
    const { rows } = await pool(DEFAULT_POOL_TIMEOUTS).query<{ statement: string; lock: string; idle: string }>(
      "SELECT current_setting('statement_timeout') AS statement, current_setting('lock_timeout') AS lock, current_setting('idle_in_transaction_session_timeout') AS idle",
    );
    expect(rows[0]).toEqual({ statement: '30s', lock: '10s', idle: '1min' });
  });

  it('fails a connection to a postmaster frozen with SIGSTOP within connectionTimeoutMillis', async () => {
    const frozen = pool();
    const { ms, error } = await postgres.process.whilePaused(() => timed(() => frozen.query('SELECT 1')));

    expect(error).toBeInstanceOf(Error);
    expect(isPostgresUnavailable(error)).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(SHORT.connectionTimeoutMillis - 20);
    expect(ms).toBeLessThan(SHORT.connectionTimeoutMillis + SLACK_MS);
  });

  it('gives up on a query whose backend is frozen with SIGSTOP within query_timeout, and replaces that connection', async () => {
    const stalled = pool({ ...SHORT, max: 1 } as Partial<PoolTimeouts>);
    const { rows } = await stalled.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const backend = (rows[0] as { pid: number }).pid;

    const { ms, error } = await postgres.process.whilePaused(() => timed(() => stalled.query('SELECT 1')), backend);

    expect(isPostgresUnavailable(error)).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(SHORT.query_timeout - 20);
    expect(ms).toBeLessThan(SHORT.query_timeout + SLACK_MS);
  });

  it('has the server cancel a statement running past statement_timeout (57014), the connection still usable', async () => {
    const slow = pool();
    const { ms, error } = await timed(() => slow.query('SELECT pg_sleep(5)'));

    expect((error as { code?: string }).code).toBe('57014');
    expect(isPostgresUnavailable(error)).toBe(true);
    expect(ms).toBeLessThan(SHORT.statement_timeout + SLACK_MS);
    await expect(slow.query('SELECT 1')).resolves.toBeDefined();
  });

  it('fails a statement waiting for a row lock past lock_timeout (55P03)', async () => {
    const holder = createClient(postgres.settings);
    await holder.connect();
    onTestFinished(() => holder.end());
    await holder.query('BEGIN');
    await holder.query('UPDATE counter SET n = n + 1 WHERE id = 1');

    const { ms, error } = await timed(() => withTransaction(pool(), (tx) => tx.query('UPDATE counter SET n = n + 1 WHERE id = 1')));
    await holder.query('ROLLBACK');

    expect((error as { code?: string }).code).toBe('55P03');
    expect(isPostgresUnavailable(error)).toBe(true);
    expect(ms).toBeLessThan(SHORT.lock_timeout + SLACK_MS);
  });

  it('ends a transaction left idle past idle_in_transaction_session_timeout, releasing its locks', async () => {
    const idle = pool();
    const client = await idle.connect();
    const errors: Error[] = [];
    client.on('error', (error) => errors.push(error));
    await client.query('BEGIN');
    await client.query('UPDATE counter SET n = n + 1 WHERE id = 1');

    // Its caller waits for something else (a frozen registry) and the lock would be held meanwhile.
    const other = createClient({ ...postgres.settings }, { lock_timeout: 2_000 });
    await other.connect();
    onTestFinished(() => other.end());
    const { ms, error } = await timed(() => other.query('UPDATE counter SET n = n + 1 WHERE id = 1'));

    expect(error).toBeUndefined();
    expect(ms).toBeLessThan(SHORT.idle_in_transaction_session_timeout + SLACK_MS);
    const late = await client.query('SELECT 1').catch((failure: unknown) => failure);
    expect(isPostgresUnavailable(late) || (late as { code?: string }).code === '25P03').toBe(true);
    expect(errors.map((failure) => (failure as { code?: string }).code)).toContain('25P03');
    client.release(true);
  });
});

describe('a client (createClient)', () => {
  it('has the pools’ bounds by default', async () => {
    const client = createClient(postgres.settings);
    await client.connect();
    onTestFinished(() => client.end());
    const { rows } = await client.query<{ idle: string }>("SELECT current_setting('idle_in_transaction_session_timeout') AS idle");
    expect(rows[0]?.idle).toBe('1min');
  });

  it('fails its connection to a frozen postmaster within connectionTimeoutMillis', async () => {
    const client = createClient(postgres.settings, { connectionTimeoutMillis: 500 });
    client.on('error', () => undefined);
    const { ms, error } = await postgres.process.whilePaused(() => timed(() => client.connect()));

    expect(isPostgresUnavailable(error)).toBe(true);
    expect(ms).toBeLessThan(500 + SLACK_MS);
  });
});
