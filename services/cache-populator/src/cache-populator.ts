import type { Redis } from 'ioredis';
import type { AvroSerde } from '@evergreen/avro-serde';
import { ConsumerMetrics, createProjectionConsumer, RedisVersionedSink, type BackoffOptions, type ProjectionConsumer } from '@evergreen/consumer';
import type { Logger } from '@evergreen/platform';
import type { Registry } from 'prom-client';
import { userCacheHandlers } from './user-projection.ts';

export interface CachePopulatorOptions {
  brokers: string[];
  topic: string;
  groupId: string;
  redis: Redis;
  serde: AvroSerde;
  logger: Logger;
  registry: Registry;
  partitionsConsumedConcurrently?: number;
  retry?: BackoffOptions;
}

/** The user cache in Redis, kept by the consumer framework from the user topic. */
export function createCachePopulator(options: CachePopulatorOptions): ProjectionConsumer {
  return createProjectionConsumer({
    name: 'cache-populator',
    groupId: options.groupId,
    topics: [options.topic],
    brokers: options.brokers,
    serde: options.serde,
    handlers: userCacheHandlers,
    sink: new RedisVersionedSink(options.redis),
    logger: options.logger,
    metrics: new ConsumerMetrics(options.registry),
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
    retry: options.retry,
  });
}
