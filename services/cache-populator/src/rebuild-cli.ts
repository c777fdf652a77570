import { Registry } from 'prom-client';
import { AvroSerde } from '@evergreen/avro-serde';
import { runRebuildCli } from '@evergreen/consumer';
import { topicsOf } from '@evergreen/event-catalog';
import { createLogger, createRedis, loadStackConfig } from '@evergreen/platform';
import { userAggregate } from '@evergreen/schemas';
import { cacheRebuildTarget } from './cache-populator.ts';

// `npm run rebuild -- cache-populator [...]`: rebuilds the user cache into the next generation (docs/operations.md#rebuild).
await runRebuildCli(process.argv.slice(2), async () => {
  const config = loadStackConfig();
  // The consumer's own logs only when something goes wrong; progress comes as [rebuild] lines.
  const logger = createLogger('cache-populator-rebuild', process.env.EVERGREEN_REBUILD_LOG_LEVEL ?? 'warn');
  const redis = createRedis(config.redis, { maxRetriesPerRequest: 2 });
  redis.on('error', (error: Error) => logger.warn({ err: error }, 'redis connection error; ioredis reconnects'));
  const target = cacheRebuildTarget({
    brokers: config.kafka.brokers,
    topic: topicsOf(config, [userAggregate]).user,
    baseGroupId: process.env.EVERGREEN_POPULATOR_GROUP,
    redis,
    serde: AvroSerde.forRegistry(config.registry),
    logger,
    registry: new Registry(),
  });
  return { target, close: async () => redis.disconnect() };
});
