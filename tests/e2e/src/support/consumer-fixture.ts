import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { Registry, type Counter } from 'prom-client';
import { activityHandlers, createActivityLog } from '@evergreen/activity-log';
import type { AvroSerde } from '@evergreen/avro-serde';
import { createCachePopulator } from '@evergreen/cache-populator';
import { ConsumerMetrics, createProjectionConsumer, PostgresInboxSink, type BackoffOptions, type ProjectionConsumer, type RecordOutcome } from '@evergreen/consumer';
import { readingUsers } from '@evergreen/schemas';
import { createLogger, type Logger, type StackConfig } from '@evergreen/platform';

/** A consumer started by a test, with its own metrics so the test can count what it did. */
export interface ConsumerUnderTest {
  groupId: string;
  consumer: ProjectionConsumer;
  count(outcome: RecordOutcome): Promise<number>;
  retries(): Promise<number>;
}

export async function sumOf(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name) as Counter | undefined;
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.filter((value) => Object.entries(labels).every(([label, wanted]) => value.labels[label] === wanted)).reduce((total, value) => total + value.value, 0);
}

interface Parts {
  registry: Registry;
  logger: Logger;
  // Quick retries keep the outage tests short; production keeps the defaults.
  retry: BackoffOptions;
}

async function startUnderTest(label: string, groupId: string, build: (parts: Parts) => ProjectionConsumer): Promise<ConsumerUnderTest> {
  const registry = new Registry();
  const consumer = build({ registry, logger: createLogger(`e2e-${label}`, process.env.EVERGREEN_E2E_LOG_LEVEL ?? 'silent'), retry: { initialMs: 50, maxMs: 1_000 } });
  await consumer.start();
  return {
    groupId,
    consumer,
    count: (outcome) => sumOf(registry, 'evergreen_consumer_records_total', { outcome }),
    retries: () => sumOf(registry, 'evergreen_consumer_retries_total'),
  };
}

export function startPopulator(config: StackConfig, serde: AvroSerde, redis: Redis, topic: string, groupId = `e2e-${randomUUID()}`): Promise<ConsumerUnderTest> {
  return startUnderTest('populator', groupId, (parts) => createCachePopulator({ brokers: config.kafka.brokers, topic, groupId, redis, serde, ...parts }));
}

export function startActivityLog(config: StackConfig, serde: AvroSerde, pool: pg.Pool, topic: string, groupId = `e2e-${randomUUID()}`): Promise<ConsumerUnderTest> {
  return startUnderTest('activity-log', groupId, (parts) => createActivityLog({ brokers: config.kafka.brokers, topic, groupId, pool, serde, ...parts }));
}

/** The activity log's handlers and tables (generation 1's) behind an inbox of the test's own name, so pruning it touches no other run's rows. */
export function startActivityLogWithInbox(config: StackConfig, serde: AvroSerde, pool: pg.Pool, topic: string, inboxName: string, groupId = `e2e-${randomUUID()}`): Promise<ConsumerUnderTest> {
  return startUnderTest('activity-log', groupId, (parts) =>
    createProjectionConsumer({
      name: 'activity-log',
      groupId,
      ...readingUsers(topic),
      brokers: config.kafka.brokers,
      serde,
      handlers: { user: activityHandlers },
      sink: new PostgresInboxSink(pool, inboxName),
      logger: parts.logger,
      metrics: new ConsumerMetrics(parts.registry),
      partitionsConsumedConcurrently: 1,
      retry: parts.retry,
    }),
  );
}
