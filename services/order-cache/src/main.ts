import { runWorker, workerContext } from '@evergreen/consumer';
import { topicsOf } from '@evergreen/event-catalog';
import { createOrderCache, ORDER_CACHE_AGGREGATES } from './order-cache.ts';
import { createRedis } from '@evergreen/platform';

const { config, logger, registry, serde, retry } = workerContext('order-cache');
// Commands wait for a reconnect instead of failing at once; the framework retries what still fails.
const redis = createRedis(config.redis, { maxRetriesPerRequest: 2 });
redis.on('error', (error: Error) => logger.warn({ err: error }, 'redis connection error; ioredis reconnects'));

await runWorker({
  consumer: createOrderCache({
    brokers: config.kafka.brokers,
    topics: topicsOf(config, ORDER_CACHE_AGGREGATES),
    groupId: process.env.EVERGREEN_ORDER_CACHE_GROUP ?? 'evergreen-order-cache',
    redis,
    serde,
    logger,
    registry,
    retry,
  }),
  logger,
  registry,
  ops: { host: config.api.host, port: config.orderCache.port },
  stuckAfterMs: config.consumers.stuckAfterMs,
  closeResources: async () => redis.disconnect(),
});
