import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { pollUntil } from '@evergreen/platform';

/** The pid on the first line of a pid file (PostgreSQL's postmaster.pid has more lines), if that process is alive. */
export function runningPid(pidPath: string): number | undefined {
  if (!existsSync(pidPath)) return undefined;
  const pid = Number(readFileSync(pidPath, 'utf8').split('\n')[0]?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM means it exists but belongs to another user (PostgreSQL's postmaster when we are root).
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  // A zombie has exited; a stale pid file may also point at a recycled pid of another program.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) Z /.test(stat)) return undefined;
  } catch {
    return undefined;
  }
  return pid;
}

export interface DaemonSpec {
  command: string;
  args: string[];
  cwd: string;
  logPath: string;
  pidPath: string;
  env?: NodeJS.ProcessEnv;
}

/** Starts a long-running process detached from us, its stdout and stderr appended to its log file. */
export function startDaemon(spec: DaemonSpec): number {
  const log = openSync(spec.logPath, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', log, log],
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
    child.unref();
    writeFileSync(spec.pidPath, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** SIGTERM, then SIGKILL if the process has not exited by the deadline. */
export async function stopDaemon(pidPath: string, graceMs = 30_000): Promise<boolean> {
  const pid = runningPid(pidPath);
  if (pid === undefined) {
    rmSync(pidPath, { force: true });
    return false;
  }
  process.kill(pid, 'SIGTERM');
  try {
    await pollUntil(() => runningPid(pidPath) === undefined, { description: `pid ${pid} to exit`, timeoutMs: graceMs, intervalMs: 200 });
  } catch {
    process.kill(pid, 'SIGKILL');
    await pollUntil(() => runningPid(pidPath) === undefined, { description: `pid ${pid} to die`, timeoutMs: 10_000, intervalMs: 100 });
  }
  rmSync(pidPath, { force: true });
  return true;
}

/** The last lines of a log file, for the message of a component that failed to come up. */
export function tailOf(path: string, lines = 40): string {
  if (!existsSync(path)) return `(no log at ${path})`;
  return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
