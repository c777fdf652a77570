import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pollUntil } from '@evergreen/platform';
import type { Component, StackContext } from '../component.ts';
import { logFile, pidFile } from '../layout.ts';
import { runningPid, stopDaemon, tailOf } from '../processes.ts';
import { run } from '../shell.ts';

/** Asks one Redis node something on a connection of its own, without retrying; undefined when it does not answer. */
export async function askRedisNode<T>(host: string, port: number, ask: (client: Redis) => Promise<T>): Promise<T | undefined> {
  const client = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2_000, commandTimeout: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await ask(client);
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

export async function redisAnswersPing(host: string, port: number): Promise<boolean> {
  return (await askRedisNode(host, port, (client) => client.ping())) === 'PONG';
}

export function redis(context: StackContext): Component {
  const { config, layout } = context;
  const { host, port, appendfsync } = config.redis;
  const dataDir = join(layout.data, 'redis');
  const pidPath = pidFile(layout, 'redis');
  const logPath = logFile(layout, 'redis');

  return {
    name: 'redis',
    endpoint: `redis://${host}:${port}`,
    pid: () => runningPid(pidPath),
    isHealthy: () => redisAnswersPing(host, port),
    async start() {
      mkdirSync(dataDir, { recursive: true });
      // The append-only file makes the cache survive a restart, as a production Redis would;
      // EVERGREEN_REDIS_APPENDFSYNC chooses how much a crash may lose (docs/cache.md#durability).
      await run('redis-server', [
        '--bind', host,
        '--port', String(port),
        '--dir', dataDir,
        '--appendonly', 'yes',
        '--appendfsync', appendfsync,
        '--save', '',
        '--daemonize', 'yes',
        '--pidfile', pidPath,
        '--logfile', logPath,
      ]);
      await pollUntil(() => redisAnswersPing(host, port), { description: 'redis to answer PING', timeoutMs: 30_000 }).catch((error: Error) => {
        throw new Error(`${error.message}\n--- ${logPath} ---\n${tailOf(logPath)}`);
      });
    },
    stop: async () => {
      await stopDaemon(pidPath);
    },
  };
}
