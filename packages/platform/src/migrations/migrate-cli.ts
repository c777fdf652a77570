import { exitCodeOf } from '@evergreen/errors';
import { loadStackConfig, type StackConfig } from '../config/stack-config.ts';
import { createPool, LONG_RUNNING_TIMEOUTS } from '../postgres/transaction.ts';
import { migrate, type Migration } from './migrate.ts';

/**
 * What a service's `npm run migrate` does: applies its migrations to the stack's database (or the
 * one `database` picks, for a service with a database of its own), says
 * what it applied, and exits with the shared code of a failure (4: PostgreSQL away). `label` names the service in the output.
 */
export async function migrateFromCli(label: string, migrations: Migration[], database?: (config: StackConfig) => string): Promise<void> {
  const config = loadStackConfig();
  const postgres = database ? { ...config.postgres, database: database(config) } : config.postgres;
  const pool = createPool(postgres, { max: 1, ...LONG_RUNNING_TIMEOUTS });
  try {
    const applied = await migrate(pool, migrations);
    console.log(`[db] ${label}: ${applied.length > 0 ? `applied ${applied.join(', ')}` : 'schema is up to date'}`);
  } catch (error) {
    console.error(`[db] ${label} FAILED: ${(error as Error).message}`);
    process.exitCode = exitCodeOf(error);
  } finally {
    await pool.end();
  }
}
