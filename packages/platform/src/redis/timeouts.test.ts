import { classify } from '@evergreen/errors';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startScratchRedis, timed, type ScratchRedis } from '../testing/index.ts';
import { createRedis, DEFAULT_REDIS_TIMEOUTS, sendBatched, type RedisClient } from './client.ts';

/**
 * createRedis's bounds on a real redis-server of the test's own, frozen with SIGSTOP: it keeps the
 * connection open and takes every command, and never answers. Without a command timeout, ioredis
 * waits for ever (the connection never fails, so nothing is retried). Measured with the defaults.
 */
let redis: ScratchRedis;
beforeAll(async () => {
  redis = await startScratchRedis();
}, 20_000);
afterAll(() => redis?.stop());

// Generous: these run beside every other test on two cores; a wait without a bound would take for ever.
const SLACK_MS = 1_000;

function client(options: Parameters<typeof createRedis>[1] = {}): RedisClient {
  const created = createRedis(redis.settings, { maxRetriesPerRequest: 2, ...options });
  created.on('error', () => undefined);
  onTestFinished(() => void created.disconnect());
  return created;
}

describe('a Redis client (createRedis) against a Redis frozen with SIGSTOP', () => {
  it(`fails a command within commandTimeout (${DEFAULT_REDIS_TIMEOUTS.commandTimeout} ms), as a TIMEOUT of redis, and works again once Redis does`, async () => {
    const connected = client();
    await connected.ping();

    const { ms, error } = await redis.process.whilePaused(() => timed(() => connected.hset('evergreen:user:x', 'version', '1'), 'redis command, Redis frozen, default commandTimeout'));

    expect(classify(error)).toMatchObject({ code: 'TIMEOUT', disposition: 'transient', dependency: 'redis' });
    expect(ms).toBeGreaterThanOrEqual(DEFAULT_REDIS_TIMEOUTS.commandTimeout - 20);
    expect(ms).toBeLessThan(DEFAULT_REDIS_TIMEOUTS.commandTimeout + SLACK_MS);
    await expect(connected.ping()).resolves.toBe('PONG');
  }, 15_000);

  it('fails a pipelined batch (what the sinks send) within the same bound', async () => {
    const connected = client({ commandTimeout: 500 });
    await connected.ping();

    const { ms, error } = await redis.process.whilePaused(() =>
      timed(() => sendBatched(connected, [(target) => target.hset('evergreen:user:a', 'version', '1'), (target) => target.hgetall('evergreen:user:b')])),
    );

    expect(classify(error).code).toBe('TIMEOUT');
    expect(ms).toBeLessThan(500 + SLACK_MS);
  });

  it('fails the first command of a client that connects while Redis is frozen (the connection is accepted, the handshake never answered)', async () => {
    const { ms, error } = await redis.process.whilePaused(() => timed(() => client({ commandTimeout: 500 }).get('evergreen:user:x')));

    expect(['TIMEOUT', 'DEPENDENCY_UNAVAILABLE']).toContain(classify(error).code);
    expect(ms).toBeLessThan(500 + SLACK_MS);
  });

  it('takes EVERGREEN_REDIS_COMMAND_TIMEOUT_MS (settings.commandTimeoutMs) over the default, and a client option over both', () => {
    const optionsOf = (...args: Parameters<typeof createRedis>) => (createRedis(...args) as Redis).options;
    expect(optionsOf({ ...redis.settings, commandTimeoutMs: 1_234 }, { lazyConnect: true }).commandTimeout).toBe(1_234);
    expect(optionsOf({ ...redis.settings, commandTimeoutMs: 1_234 }, { lazyConnect: true, commandTimeout: 500 }).commandTimeout).toBe(500);
    expect(optionsOf(redis.settings, { lazyConnect: true })).toMatchObject(DEFAULT_REDIS_TIMEOUTS);
    const cluster = createRedis({ ...redis.settings, nodes: [{ host: '127.0.0.1', port: 1 }] }, { lazyConnect: true }) as Cluster;
    expect(cluster.options.redisOptions).toMatchObject(DEFAULT_REDIS_TIMEOUTS);
  });
});
