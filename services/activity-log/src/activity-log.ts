import type pg from 'pg';
import type { Registry } from 'prom-client';
import type { AvroSerde } from '@evergreen/avro-serde';
import { ConsumerMetrics, createProjectionConsumer, PostgresInboxSink, type BackoffOptions, type ProjectionConsumer } from '@evergreen/consumer';
import type { Logger } from '@evergreen/platform';
import { activityHandlers } from './activity-projection.ts';

/** Its inbox entries are told apart from other consumers' by this name. */
export const ACTIVITY_LOG_CONSUMER = 'activity-log';

export interface ActivityLogOptions {
  brokers: string[];
  topic: string;
  groupId: string;
  pool: pg.Pool;
  serde: AvroSerde;
  logger: Logger;
  registry: Registry;
  retry?: BackoffOptions;
}

/** The user activity log in PostgreSQL, kept by the consumer framework from the user topic, in a group of its own. */
export function createActivityLog(options: ActivityLogOptions): ProjectionConsumer {
  return createProjectionConsumer({
    name: ACTIVITY_LOG_CONSUMER,
    groupId: options.groupId,
    topics: [options.topic],
    brokers: options.brokers,
    serde: options.serde,
    handlers: activityHandlers,
    sink: new PostgresInboxSink(options.pool, ACTIVITY_LOG_CONSUMER),
    logger: options.logger,
    metrics: new ConsumerMetrics(options.registry),
    retry: options.retry,
  });
}
