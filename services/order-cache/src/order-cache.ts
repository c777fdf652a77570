import type { RedisClient } from '@evergreen/platform';
import { ConsumerMetrics, createProjectionConsumer, type ProjectionConsumer, type ProjectionRuntime } from '@evergreen/consumer';
import type { TopicsOf } from '@evergreen/event-catalog';
import { eventCatalog, orderAggregate, userAggregate } from '@evergreen/schemas';
import { OrderCacheSink } from './order-cache-sink.ts';
import { orderCacheHandlers, userOrdersHandlers } from './order-projection.ts';

export const ORDER_CACHE_AGGREGATES = [orderAggregate, userAggregate] as const;

export interface OrderCacheOptions extends ProjectionRuntime {
  /** The order and user topics (topicsOf(config, ORDER_CACHE_AGGREGATES) for the stack's). */
  topics: TopicsOf<(typeof ORDER_CACHE_AGGREGATES)[number]>;
  groupId: string;
  redis: RedisClient;
}

/** Orders in Redis and each user's order ids, kept by the consumer framework from two aggregates' topics. */
export function createOrderCache(options: OrderCacheOptions): ProjectionConsumer {
  return createProjectionConsumer({
    name: 'order-cache',
    groupId: options.groupId,
    catalog: eventCatalog,
    aggregates: ORDER_CACHE_AGGREGATES,
    topics: options.topics,
    brokers: options.brokers,
    serde: options.serde,
    handlers: { order: orderCacheHandlers, user: userOrdersHandlers },
    sink: new OrderCacheSink(options.redis),
    logger: options.logger,
    metrics: new ConsumerMetrics(options.registry),
    retry: options.retry,
  });
}
