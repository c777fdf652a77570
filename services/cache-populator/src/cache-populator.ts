import type { RedisClient } from '@evergreen/platform';
import {
  ConsumerMetrics,
  createGenerationalConsumer,
  createProjectionConsumer,
  RedisGenerationStore,
  RedisVersionedSink,
  type GenerationalConsumer,
  type ProjectionConsumer,
  type ProjectionRuntime,
  type RebuildTarget,
} from '@evergreen/consumer';
import { readingUsers } from '@evergreen/schemas';
import { FIRST_GENERATION, USER_CACHE_GENERATION_KEY, USER_CACHE_REBUILD_LOCK_KEY, userKeyspace } from '@evergreen/user-read-model';
import { userCacheHandlersFor } from './user-projection.ts';

export interface CachePopulatorOptions extends ProjectionRuntime {
  /** The user topic (topicsOf(config, [userAggregate]).user for the stack's). */
  topic: string;
  groupId: string;
  redis: RedisClient;
  /** The generation whose keys it writes (default 1: evergreen:user:<id>). */
  generation?: number;
  /** Metrics to count into; by default new ones on `registry` (which accepts them once). */
  metrics?: ConsumerMetrics;
  partitionsConsumedConcurrently?: number;
}

/** The user cache in Redis, one generation of it, kept by the consumer framework from the user topic. */
export function createCachePopulator(options: CachePopulatorOptions): ProjectionConsumer {
  return createProjectionConsumer({
    name: 'cache-populator',
    groupId: options.groupId,
    ...readingUsers(options.topic),
    brokers: options.brokers,
    serde: options.serde,
    handlers: { user: userCacheHandlersFor(userKeyspace(options.generation ?? FIRST_GENERATION)) },
    sink: new RedisVersionedSink(options.redis),
    logger: options.logger,
    metrics: options.metrics ?? new ConsumerMetrics(options.registry),
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
    retry: options.retry,
  });
}

/** The cache's generations in Redis: the pointer evergreen:user-cache:generation, one key prefix per generation. */
export function userCacheGenerations(redis: RedisClient): RedisGenerationStore {
  return new RedisGenerationStore(redis, {
    projection: 'cache-populator',
    pointerKey: USER_CACHE_GENERATION_KEY,
    lockKey: USER_CACHE_REBUILD_LOCK_KEY,
    keyPattern: (generation) => userKeyspace(generation).keyPattern,
  });
}

export interface GenerationalCachePopulatorOptions extends Omit<CachePopulatorOptions, 'groupId' | 'generation' | 'metrics'> {
  /** Generation 1's group (EVERGREEN_POPULATOR_GROUP); generation n's is `<base>.g<n>`. Default evergreen-cache-populator. */
  baseGroupId?: string;
  /** How often the active generation is read (default 1 s). */
  generationPollMs?: number;
}

/** The cache populator as the service runs it: always on the active generation, switching when a rebuild flips it. */
export function createGenerationalCachePopulator(options: GenerationalCachePopulatorOptions): GenerationalConsumer {
  const metrics = new ConsumerMetrics(options.registry);
  const generations = userCacheGenerations(options.redis);
  return createGenerationalConsumer({
    readActive: () => generations.readActive(),
    build: (generation) => createCachePopulator({ ...options, generation, groupId: userKeyspace(generation, options.baseGroupId).groupId, metrics }),
    logger: options.logger,
    pollIntervalMs: options.generationPollMs,
    retry: options.retry,
  });
}

/** What `npm run rebuild -- cache-populator` rebuilds: the populator's own consumer, for the next generation. */
export function cacheRebuildTarget(options: Omit<CachePopulatorOptions, 'groupId' | 'generation' | 'metrics'> & { baseGroupId?: string }): RebuildTarget {
  const metrics = new ConsumerMetrics(options.registry);
  const groupId = (generation: number) => userKeyspace(generation, options.baseGroupId).groupId;
  return {
    store: userCacheGenerations(options.redis),
    topics: [options.topic],
    brokers: options.brokers,
    groupId,
    consumerFor: (generation) => createCachePopulator({ ...options, generation, groupId: groupId(generation), metrics }),
  };
}
