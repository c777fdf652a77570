import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRepoRoot, pollUntil } from '@evergreen/platform';

/** A free TCP port on 127.0.0.1, for the child's ops endpoints. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface PopulatorProcess {
  /** Records the child applied so far, read from its /metrics. */
  applied(): Promise<number>;
  /** Sends SIGTERM and waits (bounded) for the exit. */
  terminate(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if it is still running (cleanup). */
  kill(): Promise<void>;
}

/**
 * The real cache-populator process (services/cache-populator/src/main.ts), started as `npm start`
 * would, on a scratch topic prefix and group, so a test can signal it like an orchestrator would.
 */
export async function spawnPopulator(options: { prefix: string; groupId: string }): Promise<PopulatorProcess> {
  const port = await freePort();
  const root = findRepoRoot();
  const log = join(tmpdir(), `evergreen-populator-${options.groupId}.log`);
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(root, 'services/cache-populator/src/main.ts')], {
    cwd: root,
    env: { ...process.env, EVERGREEN_TOPIC_PREFIX: options.prefix, EVERGREEN_POPULATOR_GROUP: options.groupId, EVERGREEN_POPULATOR_PORT: String(port) },
    stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((result) => {
    exit = result;
  });

  const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
  await pollUntil(
    async () => {
      if (exit) throw new Error(`the populator exited early (${JSON.stringify(exit)}); see ${log}`);
      return (await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(2_000) })).status === 200;
    },
    { description: `the populator process to be ready (log: ${log})`, timeoutMs: 60_000, intervalMs: 200 },
  );

  return {
    async applied() {
      const line = (await metrics()).split('\n').find((entry) => entry.startsWith('evergreen_consumer_records_total') && entry.includes('outcome="applied"'));
      return line ? Number(line.split(' ').pop()) : 0;
    },
    async terminate(timeoutMs = 30_000) {
      child.kill('SIGTERM');
      return pollUntil(() => exit, { description: `the populator to exit after SIGTERM (log: ${log})`, timeoutMs, intervalMs: 50 });
    },
    async kill() {
      if (!exit) child.kill('SIGKILL');
      await exited;
    },
  };
}
