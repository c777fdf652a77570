import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureDatabase, type LocalStack } from '@evergreen/local-stack';
import { createPool, migrate, type Migration, type StackConfig } from '@evergreen/platform';

const CEILING_DATABASE = 'evergreen_bench_ceiling';

// The outbox library's transaction, as SQL: the users row, the outbox row with an Avro-sized
// payload, and the outbox row's delete (the library deletes it in the same transaction; Debezium
// reads the insert from the WAL). Prepared statements, as node-postgres' parameterised queries.
const TRANSACTION = `\\set n random(1, 1000000000)
SELECT gen_random_uuid() AS uid, gen_random_uuid() AS eid \\gset
BEGIN;
INSERT INTO users (id, email, name, avatar_url, version) VALUES (:uid, 'ceiling-' || :client_id || '-' || :n || '-' || :uid || '@example.com', 'Bench User', 'https://example.com/bench.png', 1);
INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, aggregateversion) VALUES (:eid, 'user', :uid, 'UserRegistered', decode(repeat('ab', 160), 'hex'), 1);
DELETE FROM outbox WHERE id = :eid;
END;
`;

export interface CeilingResult {
  transactionsPerSecond: number;
  clients: number;
  seconds: number;
}

/**
 * The database's own ceiling for the write: pgbench (PostgreSQL's load generator, from the same
 * Debian package as the server) running the transaction above with many connections, synchronous
 * commit, in a scratch database with the same tables, which no connector reads.
 */
export async function measureCeiling(stack: LocalStack, config: StackConfig, migrations: Migration[], clients: number, seconds: number): Promise<CeilingResult> {
  await ensureDatabase(stack, CEILING_DATABASE);
  const postgres = { ...config.postgres, database: CEILING_DATABASE };
  const pool = createPool(postgres, { max: 1 });
  try {
    await migrate(pool, migrations);
    await pool.query('TRUNCATE users CASCADE');
  } finally {
    await pool.end();
  }
  const dir = await mkdtemp(join(tmpdir(), 'evergreen-ceiling-'));
  try {
    const script = join(dir, 'transaction.sql');
    await writeFile(script, TRANSACTION);
    const pgbench = `/usr/lib/postgresql/${config.versions.postgresMajor}/bin/pgbench`;
    const { stdout } = await promisify(execFile)(
      pgbench,
      ['--no-vacuum', '--protocol=prepared', `--client=${clients}`, '--jobs=2', `--time=${seconds}`, `--file=${script}`, '-h', postgres.host, '-p', String(postgres.port), '-U', postgres.user, postgres.database],
      { env: { ...process.env, PGPASSWORD: postgres.password }, maxBuffer: 1 << 20 },
    );
    const tps = /tps = ([\d.]+)/.exec(stdout);
    if (!tps) throw new Error(`pgbench printed no tps:\n${stdout}`);
    return { transactionsPerSecond: Number(tps[1]), clients, seconds };
  } finally {
    await rm(dir, { recursive: true, force: true });
    const maintenance = createPool({ ...config.postgres, database: 'postgres' }, { max: 1 });
    await maintenance.query(`DROP DATABASE IF EXISTS ${CEILING_DATABASE} WITH (FORCE)`).finally(() => maintenance.end());
  }
}
