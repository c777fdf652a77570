import { appendFileSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createClient, pollUntil } from '@evergreen/platform';
import type { Component, StackContext } from '../component.ts';
import { logFile } from '../layout.ts';
import { runningPid } from '../processes.ts';
import { isRoot, run } from '../shell.ts';

// PostgreSQL will not run as root; when we are root its files belong to this user.
const SERVICE_USER = 'postgres';

export interface PostgresComponent extends Component {
  /**
   * Creates a database owned by the application role unless it exists; true when it created it.
   * As the application role when it may create databases (docker-compose's superuser), otherwise
   * as the local cluster's superuser over its socket. The role gets no rights it did not have.
   */
  ensureDatabase(database: string): Promise<boolean>;
}

export function postgres(context: StackContext): PostgresComponent {
  const { config, layout } = context;
  const settings = config.postgres;
  const binDir = `/usr/lib/postgresql/${config.versions.postgresMajor}/bin`;
  const dataDir = join(layout.data, 'postgres');
  const socketDir = join(layout.run, 'postgres');
  const logPath = logFile(layout, 'postgres');
  const asUser = isRoot() ? SERVICE_USER : undefined;

  const ownByServiceUser = (path: string) => {
    if (!asUser) return;
    const uid = Number(execFileSync('id', ['-u', SERVICE_USER]).toString());
    const gid = Number(execFileSync('id', ['-g', SERVICE_USER]).toString());
    chownSync(path, uid, gid);
  };

  const superuserSql = (sql: string) =>
    run(`${binDir}/psql`, ['-h', socketDir, '-p', String(settings.port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], {
      asUser,
    });

  async function initialise(): Promise<void> {
    for (const dir of [dataDir, socketDir]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      ownByServiceUser(dir);
    }
    if (!existsSync(logPath)) writeFileSync(logPath, '');
    ownByServiceUser(logPath);
    if (existsSync(join(dataDir, 'PG_VERSION'))) return;
    await run(
      `${binDir}/initdb`,
      ['-D', dataDir, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '--encoding=UTF8', '--locale=C.UTF-8'],
      { asUser },
    );
    // Logical decoding and slot limits for Debezium; the same file configures docker-compose's PostgreSQL.
    appendFileSync(join(dataDir, 'postgresql.conf'), `\n${readFileSync(join(layout.configTemplates, 'postgresql.conf'), 'utf8')}`);
  }

  /** The application role and databases; safe to run on every start. */
  async function ensureRoleAndDatabases(): Promise<void> {
    const role = settings.user.replace(/"/g, '""');
    const password = settings.password.replace(/'/g, "''");
    await superuserSql(
      `DO $$ BEGIN
         IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN
           CREATE ROLE "${role}" LOGIN REPLICATION PASSWORD '${password}';
         ELSE
           ALTER ROLE "${role}" LOGIN REPLICATION PASSWORD '${password}';
         END IF;
       END $$;`,
    );
    for (const database of [settings.database, config.orders.database, config.registryDatabase]) {
      const exists = (await superuserSql(`SELECT 1 FROM pg_database WHERE datname = '${database.replace(/'/g, "''")}'`)).trim();
      if (exists !== '1') await superuserSql(`CREATE DATABASE "${database.replace(/"/g, '""')}" OWNER "${role}"`);
    }
  }

  async function ensureDatabase(database: string): Promise<boolean> {
    const quoted = `"${database.replace(/"/g, '""')}"`;
    // The maintenance database, which every cluster has and every role may connect to.
    const client = createClient({ ...settings, database: 'postgres' });
    await client.connect();
    try {
      if ((await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount) return false;
      const { rows } = await client.query<{ may: boolean }>('SELECT rolsuper OR rolcreatedb AS may FROM pg_roles WHERE rolname = current_user');
      try {
        if (rows[0]?.may) await client.query(`CREATE DATABASE ${quoted}`);
        else await superuserSql(`CREATE DATABASE ${quoted} OWNER "${settings.user.replace(/"/g, '""')}"`);
      } catch (error) {
        // Someone else created it between our look and our CREATE: that is what we wanted.
        const duplicate = (error as { code?: string }).code === '42P04' || /already exists/.test((error as Error).message);
        if (!duplicate) throw error;
        return false;
      }
      return true;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  const component: PostgresComponent = {
    name: 'postgres',
    endpoint: `postgresql://${settings.user}@${settings.host}:${settings.port}/${settings.database}`,
    pid: () => runningPid(join(dataDir, 'postmaster.pid')),
    async isHealthy() {
      const client = createClient(settings, { connectionTimeoutMillis: 2_000, query_timeout: 2_000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } catch {
        return false;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    async start() {
      await initialise();
      const options = `-c port=${settings.port} -c listen_addresses=${settings.host} -c unix_socket_directories=${socketDir}`;
      // pg_ctl -w returns once the server accepts connections, or fails with the reason. Right after
      // a crash (kill -9) a start can fail for a while and then succeed: the dead server's backends
      // are still exiting, or its port is held by a connection in TIME-WAIT. Tried again until then.
      let lastError: unknown;
      const started = await pollUntil(
        () =>
          run(`${binDir}/pg_ctl`, ['-D', dataDir, '-l', logPath, '-o', options, '-w', '-t', '120', 'start'], { asUser }).then(
            () => true,
            (error: unknown) => {
              lastError = error;
              return false;
            },
          ),
        { description: 'PostgreSQL to start', timeoutMs: 90_000, intervalMs: 2_000 },
      ).catch(() => false);
      if (!started) throw lastError;
      await ensureRoleAndDatabases();
    },
    async stop() {
      if (component.pid() === undefined) return;
      await run(`${binDir}/pg_ctl`, ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', 'stop'], { asUser });
    },
    ensureDatabase,
  };
  return component;
}
