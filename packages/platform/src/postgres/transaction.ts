import pg from 'pg';
import type { PostgresSettings } from '../config/stack-config.ts';

/** Runs `work` in one transaction: COMMIT when it resolves, ROLLBACK (and rethrow) when it throws. */
export async function withTransaction<T>(pool: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export function createPool(settings: PostgresSettings, options: pg.PoolConfig = {}): pg.Pool {
  return new pg.Pool({ ...settings, max: 10, ...options });
}
