import { Redis } from 'ioredis';
import type { RedisClientSettings } from '../redis/client.ts';
import { pollUntil } from '../wait/poll-until.ts';
import { freePort, spawnScratch, type ScratchProcess } from './scratch-process.ts';

export interface ScratchRedis {
  process: ScratchProcess;
  /** As createRedis takes them. */
  settings: RedisClientSettings;
  stop(): Promise<void>;
}

/** A redis-server of the test's own on a free port, in memory only; stop() ends it. */
export async function startScratchRedis(): Promise<ScratchRedis> {
  const port = await freePort();
  const process = spawnScratch('redis-server', 'redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--daemonize', 'no']);
  const probe = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000, commandTimeout: 1_000 });
  probe.on('error', () => undefined);
  try {
    await pollUntil(
      async () => {
        if (probe.status !== 'ready') await probe.connect();
        return (await probe.ping()) === 'PONG';
      },
      { description: `scratch redis-server on ${port} to answer PING`, timeoutMs: 10_000, intervalMs: 50 },
    );
  } catch (error) {
    await process.stop('SIGKILL');
    throw new Error(`${(error as Error).message}\n${process.log}`);
  } finally {
    probe.disconnect();
  }
  return { process, settings: { host: '127.0.0.1', port, db: 0, nodes: [], keyPrefix: '' }, stop: () => process.stop() };
}
