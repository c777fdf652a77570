import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Registry, type Counter } from 'prom-client';
import type { AvroSerde } from '@evergreen/avro-serde';
import { createCachePopulator } from '@evergreen/cache-populator';
import type { ProjectionConsumer, RecordOutcome } from '@evergreen/consumer';
import { createLogger, type StackConfig } from '@evergreen/platform';

/** A cache populator on a scratch topic, with its own metrics so a test can count what it did. */
export interface PopulatorUnderTest {
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

export async function startPopulator(config: StackConfig, serde: AvroSerde, redis: Redis, topic: string, groupId = `e2e-${randomUUID()}`): Promise<PopulatorUnderTest> {
  const registry = new Registry();
  const consumer = createCachePopulator({
    brokers: config.kafka.brokers,
    topic,
    groupId,
    redis,
    serde,
    logger: createLogger('e2e-populator', process.env.EVERGREEN_E2E_LOG_LEVEL ?? 'silent'),
    registry,
    // Quick retries keep the outage test short; production keeps the defaults.
    retry: { initialMs: 50, maxMs: 1_000 },
  });
  await consumer.start();
  return {
    groupId,
    consumer,
    count: (outcome) => sumOf(registry, 'evergreen_consumer_records_total', { outcome }),
    retries: () => sumOf(registry, 'evergreen_consumer_retries_total'),
  };
}
