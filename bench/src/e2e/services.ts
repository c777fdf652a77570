import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { builtServices } from '@evergreen/local-stack';
import { pollUntil, type StackConfig } from '@evergreen/platform';

export interface RunningService {
  name: string;
  pid: number;
  url: string;
}

export interface BenchServices {
  api: RunningService;
  all: RunningService[];
  stop(): Promise<void>;
}

/** The services that take part in a write's way to the cache, as `npm start` runs them (built JavaScript). */
const SERVICES = ['registration-api', 'cache-populator', 'activity-log'] as const;

function portOf(config: StackConfig, name: (typeof SERVICES)[number]): number {
  if (name === 'registration-api') return config.api.port;
  if (name === 'cache-populator') return config.populator.port;
  return config.activityLog.port;
}

/**
 * Starts the services in the benchmark's namespace from their `npm run build` output, each logging
 * at the level `npm start` uses to a file under .stack/logs/, and waits until each is ready.
 */
export async function startBenchServices(config: StackConfig, env: Record<string, string>, logDir: string, overrides: Record<string, string> = {}): Promise<BenchServices> {
  const specs = builtServices(config.repoRoot).filter((spec) => (SERVICES as readonly string[]).includes(spec.name));
  const children: Array<{ child: ChildProcess; service: RunningService }> = [];
  const stop = async () => {
    await Promise.all(
      children.map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
  };
  try {
    for (const spec of specs) {
      const name = spec.name as (typeof SERVICES)[number];
      const log = openSync(join(logDir, `bench-${name}.log`), 'a');
      const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: { ...process.env, ...env, ...overrides }, stdio: ['ignore', log, log] });
      closeSync(log);
      if (child.pid === undefined) throw new Error(`could not start ${name}`);
      children.push({ child, service: { name, pid: child.pid, url: `http://${config.api.host}:${portOf(config, name)}` } });
    }
    for (const { child, service } of children) {
      await pollUntil(
        async () => {
          if (child.exitCode !== null) throw new Error(`${service.name} exited with ${child.exitCode}; see .stack/logs/bench-${service.name}.log`);
          return (await fetch(`${service.url}/ready`).then((response) => response.ok, () => false)) || undefined;
        },
        { description: `${service.name} to be ready at ${service.url}`, timeoutMs: 90_000, intervalMs: 100 },
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const all = children.map(({ service }) => service);
  return { api: all.find((service) => service.name === 'registration-api') as RunningService, all, stop };
}
