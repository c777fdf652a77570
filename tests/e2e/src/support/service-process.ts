import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRepoRoot, pollUntil } from '@evergreen/platform';

/** A free TCP port on 127.0.0.1, for a child's HTTP or ops endpoints. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The services a test can run as processes: their entry point and the variable that sets their port. */
const SERVICES = {
  'registration-api': { entry: 'services/registration-api/src/server.ts', portVariable: 'EVERGREEN_API_PORT' },
  'cache-populator': { entry: 'services/cache-populator/src/main.ts', portVariable: 'EVERGREEN_POPULATOR_PORT' },
  'activity-log': { entry: 'services/activity-log/src/main.ts', portVariable: 'EVERGREEN_ACTIVITY_LOG_PORT' },
  'order-service': { entry: 'services/order-service/src/main.ts', portVariable: 'EVERGREEN_ORDER_SERVICE_PORT' },
  'order-cache': { entry: 'services/order-cache/src/main.ts', portVariable: 'EVERGREEN_ORDER_CACHE_PORT' },
  'operator-console': { entry: 'services/operator-console/src/main.ts', portVariable: 'EVERGREEN_CONSOLE_PORT' },
} as const;

export type ServiceName = keyof typeof SERVICES;

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  readonly name: ServiceName;
  readonly pid: number;
  /** Its HTTP address (the API) or ops endpoints (a worker): http://127.0.0.1:<port>. */
  readonly url: string;
  /** Where its stdout and stderr go. */
  readonly log: string;
  /** How it exited, once it has; undefined while it runs. */
  exit(): ProcessExit | undefined;
  /** Its /metrics, as text. */
  metrics(): Promise<string>;
  /** Sends SIGTERM and waits (bounded) for the exit. */
  terminate(timeoutMs?: number): Promise<ProcessExit>;
  /** SIGKILL if it is still running (cleanup). */
  kill(): Promise<void>;
}

/**
 * A real service process, started from its source as `npm run dev -w <service>` would (the same
 * module the build bundles), on a free port, with `env` over the test's environment (the e2e
 * namespace), so a test can load it, signal it and watch it like an orchestrator would. Resolves
 * once its /ready answers 200.
 */
export async function spawnService(name: ServiceName, options: { env?: Record<string, string>; label?: string } = {}): Promise<ServiceProcess> {
  const { entry, portVariable } = SERVICES[name];
  const port = await freePort();
  const root = findRepoRoot();
  const log = join(tmpdir(), `evergreen-${name}-${options.label ?? port}.log`);
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(root, entry)], {
    cwd: root,
    env: { ...process.env, EVERGREEN_LOG_FORMAT: 'json', ...options.env, [portVariable]: String(port) },
    stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')],
  });
  if (child.pid === undefined) throw new Error(`${name} did not start; see ${log}`);
  const exited = new Promise<ProcessExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let exit: ProcessExit | undefined;
  void exited.then((result) => {
    exit = result;
  });
  const url = `http://127.0.0.1:${port}`;

  await pollUntil(
    async () => {
      if (exit) throw new Error(`${name} exited early (${JSON.stringify(exit)}); see ${log}`);
      return (await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined))?.status === 200;
    },
    { description: `${name} to be ready (log: ${log})`, timeoutMs: 60_000, intervalMs: 200 },
  );

  return {
    name,
    pid: child.pid,
    url,
    log,
    exit: () => exit,
    metrics: async () => (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2_000) })).text(),
    async terminate(timeoutMs = 30_000) {
      child.kill('SIGTERM');
      return pollUntil(() => exit, { description: `${name} to exit after SIGTERM (log: ${log})`, timeoutMs, intervalMs: 50 });
    },
    async kill() {
      if (!exit) child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface PopulatorProcess extends ServiceProcess {
  /** Records the child applied so far, read from its /metrics. */
  applied(): Promise<number>;
}

/**
 * The real cache-populator process (services/cache-populator/src/main.ts) on a topic prefix and
 * consumer group of the test's choosing.
 */
export async function spawnPopulator(options: { prefix: string; groupId: string }): Promise<PopulatorProcess> {
  const service = await spawnService('cache-populator', {
    env: { EVERGREEN_TOPIC_PREFIX: options.prefix, EVERGREEN_POPULATOR_GROUP: options.groupId },
    label: options.groupId,
  });
  return {
    ...service,
    async applied() {
      const line = (await service.metrics()).split('\n').find((entry) => entry.startsWith('evergreen_consumer_records_total') && entry.includes('outcome="applied"'));
      return line ? Number(line.split(' ').pop()) : 0;
    },
  };
}
