import { Redis } from 'ioredis';
import { runWorker, workerContext } from '@evergreen/consumer';
import { aggregateTopic } from '@evergreen/platform';
import { createCachePopulator } from './cache-populator.ts';

const { config, logger, registry, serde } = workerContext('cache-populator');
// Commands wait for a reconnect instead of failing at once; the framework retries what still fails.
const redis = new Redis({ host: config.redis.host, port: config.redis.port, maxRetriesPerRequest: 2 });
redis.on('error', (error: Error) => logger.warn({ err: error }, 'redis connection error; ioredis reconnects'));
const consumer = createCachePopulator({
  brokers: config.kafka.brokers,
  topic: aggregateTopic(config, 'user'),
  groupId: process.env.EVERGREEN_POPULATOR_GROUP ?? 'evergreen-cache-populator',
  redis,
  serde,
  logger,
  registry,
});

await runWorker({
  consumer,
  logger,
  registry,
  ops: { host: config.api.host, port: config.populator.port },
  closeResources: async () => {
    redis.disconnect();
  },
});
