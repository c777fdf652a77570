import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { PostgresSettings } from '../config/stack-config.ts';
import { pollUntil } from '../wait/poll-until.ts';
import { freePort, spawnScratch, type ScratchProcess } from './scratch-process.ts';

// PostgreSQL refuses to run as root; when we are root its files and processes belong to this user.
const SERVICE_USER = 'postgres';

/** Debian's binaries of the newest PostgreSQL installed (the stack's own, infra/local, pins its major). */
function binDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((entry) => /^\d+$/.test(entry)).sort((a, b) => Number(b) - Number(a)) : [];
  const found = majors.map((major) => join(root, major, 'bin')).find((dir) => existsSync(join(dir, 'initdb')));
  if (!found) throw new Error(`no PostgreSQL binaries under ${root} (apt-get install postgresql)`);
  return found;
}

export interface ScratchPostgres {
  /** The postmaster: SIGSTOP it and new connections are accepted by the kernel, never served. */
  process: ScratchProcess;
  /** Superuser postgres, trust authentication, database postgres. */
  settings: PostgresSettings;
  stop(): Promise<void>;
}

/**
 * A PostgreSQL cluster of the test's own: initdb in a temporary directory, one postmaster on a free
 * port (about 2 s on the 2-core machine), removed by stop().
 */
export async function startScratchPostgres(): Promise<ScratchPostgres> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'evergreen-scratch-pg-'));
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot ? { uid: Number(execFileSync('id', ['-u', SERVICE_USER])), gid: Number(execFileSync('id', ['-g', SERVICE_USER])) } : {};
  if (asRoot) chownSync(dir, ids.uid as number, ids.gid as number);
  const data = join(dir, 'data');
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '--encoding=UTF8', '--locale=C.UTF-8'], { ...ids, stdio: 'ignore' });
  const port = await freePort();
  const postmaster = spawnScratch('postgres', join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=30'], ids);
  const settings: PostgresSettings = { host: '127.0.0.1', port, database: 'postgres', user: 'postgres', password: '' };
  const stop = async () => {
    // SIGQUIT: immediate shutdown, the children go with the postmaster.
    await postmaster.stop('SIGQUIT');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await pollUntil(
      async () => {
        const client = new pg.Client({ ...settings, connectionTimeoutMillis: 1_000 });
        client.on('error', () => undefined);
        try {
          await client.connect();
          await client.query('SELECT 1');
          return true;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      { description: `scratch PostgreSQL on ${port} to answer`, timeoutMs: 20_000, intervalMs: 100 },
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${postmaster.log}`);
  }
  return { process: postmaster, settings, stop };
}
