import { randomUUID } from 'node:crypto';
import { AvroSerde } from '@evergreen/avro-serde';
import type { Redis } from 'ioredis';
import { createRedis, loadStackConfig, pollUntil } from '@evergreen/platform';
import { startScratchRedis, type ScratchRedis } from '@evergreen/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifecycleOf, ScratchTopic } from './support/scratch-topic.ts';
import { spawnService, type ServiceProcess } from './support/service-process.ts';

// Issue #21, "nothing waits forever": the real cache-populator process on a topic of this test's
// own and a redis-server of its own, which the test freezes with SIGSTOP (the connection stays
// open, every command is taken and none answered). Before Redis clients had a command timeout
// the batch waited for ever and /ready stayed green; now each command fails after
// EVERGREEN_REDIS_COMMAND_TIMEOUT_MS, the batch is retried, and the stuck detector says so after
// EVERGREEN_CONSUMER_STUCK_AFTER_MS. Both are shortened here, through the variables themselves.
const COMMAND_TIMEOUT_MS = 1_000;
const STUCK_AFTER_MS = 3_000;

const config = loadStackConfig();
const serde = AvroSerde.forRegistry(config.registry);
let scratch: ScratchTopic;
let redis: ScratchRedis;
let populator: ServiceProcess | undefined;

beforeAll(async () => {
  redis = await startScratchRedis();
  scratch = new ScratchTopic(config, serde, 1);
  await scratch.create();
  populator = await spawnService('cache-populator', {
    label: `timeouts-${scratch.prefix}`,
    env: {
      EVERGREEN_TOPIC_PREFIX: scratch.prefix,
      EVERGREEN_POPULATOR_GROUP: `e2e-${randomUUID()}`,
      EVERGREEN_REDIS_HOST: '127.0.0.1',
      EVERGREEN_REDIS_PORT: String(redis.settings.port),
      EVERGREEN_REDIS_DB: '0',
      EVERGREEN_REDIS_NODES: '',
      EVERGREEN_REDIS_KEY_PREFIX: '',
      EVERGREEN_REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
      EVERGREEN_CONSUMER_STUCK_AFTER_MS: String(STUCK_AFTER_MS),
    },
  });
}, 120_000);

afterAll(async () => {
  await populator?.terminate().catch(() => populator?.kill());
  await redis?.stop();
  await scratch?.dispose();
});

async function readiness(): Promise<{ status: number; reason: string }> {
  const response = await fetch(`${populator?.url}/ready`, { signal: AbortSignal.timeout(2_000) });
  const body = (await response.json()) as { reason?: string };
  return { status: response.status, reason: body.reason ?? '' };
}

describe('a consumer whose Redis accepts the connection and never answers', () => {
  it('retries the batch, reports the partition stuck within the command timeout plus the stuck bound, and catches up once Redis answers', async () => {
    const [first, second] = [randomUUID(), randomUUID()];
    await scratch.produce(lifecycleOf(first, 1));
    await pollUntil(async () => (await cached(first)) || undefined, { description: 'the first user in the cache', timeoutMs: 30_000, intervalMs: 100 });

    redis.process.pause();
    let reportedAfterMs: number;
    try {
      const producedAt = performance.now();
      await scratch.produce(lifecycleOf(second, 1));
      const stuck = await pollUntil(
        async () => {
          const ready = await readiness();
          return ready.status === 503 && ready.reason.includes('retrying') ? ready : undefined;
        },
        { description: 'the populator to report its partition stuck', timeoutMs: 60_000, intervalMs: 100 },
      );
      reportedAfterMs = performance.now() - producedAt;
      expect(stuck.reason).toContain(scratch.topic);
      // Retried as what it is: a timeout of Redis, not an unknown error on its way to the dead letters.
      expect(stuck.reason).toContain('timeout (redis)');
      expect(populator?.exit()).toBeUndefined();
    } finally {
      redis.process.resume();
    }
    console.info(`[timing] consumer stuck reported after ${Math.round(reportedAfterMs)} ms (command timeout ${COMMAND_TIMEOUT_MS} ms, stuck after ${STUCK_AFTER_MS} ms)`);
    // The record's first attempt times out after the command timeout; the detector counts from it.
    expect(reportedAfterMs).toBeGreaterThanOrEqual(STUCK_AFTER_MS);
    expect(reportedAfterMs).toBeLessThan(COMMAND_TIMEOUT_MS + STUCK_AFTER_MS + 5_000);

    await pollUntil(async () => (await cached(second)) || undefined, { description: 'the second user in the cache once Redis answers', timeoutMs: 30_000, intervalMs: 100 });
    await pollUntil(async () => (await readiness()).status === 200, { description: 'the populator ready again', timeoutMs: 30_000, intervalMs: 200 });
  });
});

/** Whether the scratch Redis holds the user's cache entry (whatever its generation's key), asked on a connection of the test's own. */
async function cached(userId: string): Promise<boolean> {
  const client = createRedis(redis.settings, { maxRetriesPerRequest: 0, commandTimeout: 500 });
  client.on('error', () => undefined);
  try {
    return (await (client as Redis).keys(`*${userId}*`)).length > 0;
  } finally {
    client.disconnect();
  }
}
