import { monitorUserProjection, userCacheProjection } from '@evergreen/consistency';
import { runWorker, workerContext } from '@evergreen/consumer';
import { topicsOf } from '@evergreen/event-catalog';
import { createPool, createRedis } from '@evergreen/platform';
import { userAggregate } from '@evergreen/schemas';
import { createGenerationalCachePopulator } from './cache-populator.ts';

const { config, logger, registry, serde, retry } = workerContext('cache-populator');
// Commands wait for a reconnect instead of failing at once; the framework retries what still fails.
const redis = createRedis(config.redis, { maxRetriesPerRequest: 2 });
redis.on('error', (error: Error) => logger.warn({ err: error }, 'redis connection error; ioredis reconnects'));
// Always on the cache's active generation: a rebuild (`npm run rebuild -- cache-populator`) flips
// it, and the populator follows within a second, in that generation's group.
const consumer = createGenerationalCachePopulator({
  brokers: config.kafka.brokers,
  topic: topicsOf(config, [userAggregate]).user,
  baseGroupId: process.env.EVERGREEN_POPULATOR_GROUP,
  redis,
  serde,
  logger,
  registry,
  retry,
});

// The cache checks itself against PostgreSQL (read only) and exports the drift it finds.
const pool = createPool(config.postgres, { max: 2 }, logger);
const driftMonitor = monitorUserProjection({ pool, projection: userCacheProjection(redis), config, registry, logger });

await runWorker({
  consumer,
  logger,
  registry,
  ops: { host: config.api.host, port: config.populator.port },
  stuckAfterMs: config.consumers.stuckAfterMs,
  closeResources: async () => {
    await driftMonitor.stop();
    redis.disconnect();
    await pool.end();
  },
});
