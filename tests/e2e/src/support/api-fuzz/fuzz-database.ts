import type pg from 'pg';
import { ensureDatabase, localStack } from '@evergreen/local-stack';
import { createPool, migrate, type Migration, type StackConfig } from '@evergreen/platform';

/**
 * A database of the fuzzer's own, beside the namespace's (`evergreen_e2e_fuzz…`): the fuzzed API
 * writes thousands of rows, which in the namespace's database would be relayed to its topics and
 * read by every suite after this one; here no connector reads them. And nobody else writes here,
 * so "this request changed no row" can be checked exactly: a trigger on every table counts the row
 * changes that committed (a rolled-back one takes its count with it).
 */
export interface FuzzDatabase {
  /** For the fuzzed app: its statements and checkouts are counted. */
  pool: pg.Pool;
  /** The count of committed row changes per table, as one text: equal before and after, nothing was written. */
  rowChanges(): Promise<string>;
  close(): Promise<void>;
}

const COUNTER = 'fuzz_row_changes';

export async function openFuzzDatabase(config: StackConfig, database: string, migrations: Migration[]): Promise<FuzzDatabase> {
  await ensureDatabase(localStack(config), database);
  const setup = createPool({ ...config.postgres, database }, { max: 1 });
  await migrate(setup, migrations);
  // Every run starts as the first: the tables emptied, the counter on each of them (again).
  await setup.query(`
    CREATE TABLE IF NOT EXISTS ${COUNTER} (table_name text PRIMARY KEY, changes bigint NOT NULL);
    CREATE OR REPLACE FUNCTION fuzz_count_row_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO ${COUNTER} AS counter VALUES (TG_TABLE_NAME, 1)
        ON CONFLICT (table_name) DO UPDATE SET changes = counter.changes + 1;
      RETURN NULL;
    END $$;
    DO $$
    DECLARE tables text;
    BEGIN
      SELECT string_agg(format('%I', tablename), ', ') INTO tables FROM pg_tables
        WHERE schemaname = 'public' AND tablename NOT IN ('evergreen_migrations', '${COUNTER}');
      EXECUTE 'TRUNCATE ' || tables || ', ${COUNTER}';
      FOR tables IN SELECT format('%I', tablename) FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('evergreen_migrations', '${COUNTER}') LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS fuzz_count ON %s', tables);
        EXECUTE format('CREATE TRIGGER fuzz_count AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION fuzz_count_row_change()', tables);
      END LOOP;
    END $$;
  `);
  // Durability after a crash is not what is tested here; without a flush per commit, writes take a
  // fraction of the time on a busy disk. For the connections opened from now on: the pool below.
  await setup.query(`ALTER DATABASE "${database}" SET synchronous_commit = off`);
  await setup.end();
  const pool = createPool({ ...config.postgres, database }, { max: 8 });

  // A request that sent no statement changed no row: its check is skipped. The app's pool counts
  // what it is asked for; the counter's own reads go to the pool itself.
  let asked = 0;
  let lastChecked = -1;
  let lastCounts = '';
  const counted = new Proxy(pool, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if ((property === 'query' || property === 'connect') && typeof value === 'function') {
        return (...args: unknown[]) => {
          asked += 1;
          return (value as (...parameters: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === 'function' ? (value as (...parameters: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    pool: counted,
    async rowChanges() {
      if (asked === lastChecked) return lastCounts;
      lastChecked = asked;
      const { rows } = await pool.query<{ counts: string | null }>(`SELECT string_agg(table_name || '=' || changes, ' ' ORDER BY table_name) AS counts FROM ${COUNTER}`);
      lastCounts = rows[0]?.counts ?? '';
      return lastCounts;
    },
    close: () => pool.end(),
  };
}
