import { Redis } from 'ioredis';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { AvroSerde } from '@evergreen/avro-serde';
import { runWorker } from '@evergreen/consumer';
import { aggregateTopic, createLogger, loadStackConfig } from '@evergreen/platform';
import { createCachePopulator } from './cache-populator.ts';

const config = loadStackConfig();
const logger = createLogger('cache-populator', config.logLevel);
const registry = new Registry();
collectDefaultMetrics({ register: registry });
// Commands wait for a reconnect instead of failing at once; the framework retries what still fails.
const redis = new Redis({ host: config.redis.host, port: config.redis.port, maxRetriesPerRequest: 2 });
redis.on('error', (error: Error) => logger.warn({ err: error }, 'redis connection error; ioredis reconnects'));
const consumer = createCachePopulator({
  brokers: config.kafka.brokers,
  topic: aggregateTopic(config, 'user'),
  groupId: process.env.EVERGREEN_POPULATOR_GROUP ?? 'evergreen-cache-populator',
  redis,
  serde: AvroSerde.forUrl(config.registry.ccompatUrl),
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
