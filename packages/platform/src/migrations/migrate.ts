import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Pool } from 'pg';
import { checkOutClient } from '../postgres/transaction.ts';
import { advisoryLockKey, lockSession, unlockSession } from '../postgres/advisory-locks.ts';

export interface Migration {
  /** Unique across every folder, e.g. "outbox/001_outbox.sql". */
  id: string;
  sql: string;
}

/** Reads the *.sql files of a folder in name order; `scope` keeps ids of different folders apart. */
export function readMigrations(scope: string, folder: string): Migration[] {
  return readdirSync(folder)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => ({ id: `${scope}/${basename(file)}`, sql: readFileSync(join(folder, file), 'utf8') }));
}

const MIGRATION_LOCK = advisoryLockKey('migrations');

/**
 * Applies the migrations not yet recorded in evergreen_migrations, each in its own transaction.
 * An advisory lock keeps two processes starting at once from applying the same file twice.
 */
export async function migrate(pool: Pool, migrations: Migration[]): Promise<string[]> {
  // Guarded while out of the pool: a connection that dies mid-migration fails the run, not the process.
  const checkedOut = await checkOutClient(pool);
  const client = checkedOut.client;
  const applied: string[] = [];
  try {
    await lockSession(client, MIGRATION_LOCK);
    await client.query(
      'CREATE TABLE IF NOT EXISTS evergreen_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await client.query<{ id: string }>('SELECT id FROM evergreen_migrations')).rows.map((row) => row.id));
    for (const migration of migrations) {
      if (done.has(migration.id)) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO evergreen_migrations (id) VALUES ($1)', [migration.id]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => checkedOut.discard(rollbackError as Error));
        throw new Error(`migration ${migration.id} failed: ${(error as Error).message}`, { cause: error });
      }
      applied.push(migration.id);
    }
  } finally {
    await unlockSession(client, MIGRATION_LOCK).catch((error: unknown) => checkedOut.discard(error as Error));
    checkedOut.release();
  }
  return applied;
}
