import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import type { AvroSerde } from '@evergreen/avro-serde';
import { userCacheHandlers } from '@evergreen/cache-populator';
import { ConsumerMetrics, createProjectionConsumer, RedisVersionedSink, type ProjectionConsumer } from '@evergreen/consumer';
import { defineAggregate, payload, tombstone } from '@evergreen/event-catalog';
import { createLogger, type StackConfig } from '@evergreen/platform';
import { eventCatalog, eventSchema, type UserRegistered, type UserSnapshot } from '@evergreen/schemas';

/**
 * A cache populator as it was built when schemas/ held only UserRegistered (and the UserDeleted
 * tombstone): its catalog has no UserProfileUpdated, so it dead-letters one as
 * unknown-event-type, naming its group. The same group with today's populator applies it on replay:
 * poison whose cause a deployment fixed.
 */
export function olderPopulator(config: StackConfig, serde: AvroSerde, redis: Redis, topic: string, groupId: string): ProjectionConsumer {
  const olderUserAggregate = defineAggregate({
    type: 'user',
    events: { UserRegistered: payload<UserRegistered>(), UserSnapshot: payload<UserSnapshot>(), UserDeleted: tombstone() },
  });
  const { UserProfileUpdated: _notYet, ...olderHandlers } = userCacheHandlers;
  return createProjectionConsumer({
    name: 'old-populator',
    groupId,
    catalog: eventCatalog,
    aggregates: [olderUserAggregate],
    topics: { user: topic },
    brokers: config.kafka.brokers,
    serde,
    handlers: { user: olderHandlers },
    readers: [eventSchema('user', 'UserRegistered').type],
    sink: new RedisVersionedSink(redis),
    logger: createLogger('e2e-old-populator', process.env.EVERGREEN_E2E_LOG_LEVEL ?? 'silent'),
    metrics: new ConsumerMetrics(new Registry()),
    retry: { initialMs: 50, maxMs: 1_000 },
  });
}
