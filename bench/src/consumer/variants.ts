import { logLevel, type Consumer } from 'kafkajs';
import type { Redis } from 'ioredis';
import { Registry, type Counter } from 'prom-client';
import type { AvroSerde } from '@evergreen/avro-serde';
import { createCachePopulator } from '@evergreen/cache-populator';
import { createKafka, createLogger, type StackConfig } from '@evergreen/platform';
import { allEventSchemas } from '@evergreen/schemas';

/** A way of getting the topic into Redis, against a fresh consumer group. */
export interface Variant {
  /** The kafkajs consumer, whose GROUP_JOIN starts the clock: listen before start(). */
  consumer: Consumer;
  start(): Promise<void>;
  /** Records handled so far. */
  processed(): Promise<number>;
  stop(): Promise<void>;
}

export interface VariantSettings {
  config: StackConfig;
  serde: AvroSerde;
  redis: Redis;
  topic: string;
  groupId: string;
}

export const VARIANTS = {
  /** The cache populator as it runs in production: eachBatch, one Redis pipeline per batch, versioned Lua writes, commit per batch. */
  framework,
  /** What a team writes first: eachMessage, decode, one awaited SET per record, kafkajs' default auto-commit. */
  naive: (settings: VariantSettings) => naive(settings, 1),
  /** The same with kafkajs working on three partitions at once, as the framework does: separates concurrency from batching. */
  'naive-concurrent': (settings: VariantSettings) => naive(settings, 3),
} satisfies Record<string, (settings: VariantSettings) => Variant>;

export type VariantName = keyof typeof VARIANTS;

export const isVariantName = (name: string): name is VariantName => Object.hasOwn(VARIANTS, name);

/** Where the naive variants write, apart from the populator's keys. */
export const naiveKey = (userId: string) => `evergreen:bench:naive:${userId}`;

function framework({ config, serde, redis, topic, groupId }: VariantSettings): Variant {
  const registry = new Registry();
  const populator = createCachePopulator({ brokers: config.kafka.brokers, topic, groupId, redis, serde, logger: createLogger('bench-framework', 'silent'), registry });
  return {
    consumer: populator.consumer,
    start: () => populator.start(),
    processed: async () => {
      const records = registry.getSingleMetric('evergreen_consumer_records_total') as Counter | undefined;
      return records ? (await records.get()).values.reduce((total, { value }) => total + value, 0) : 0;
    },
    stop: () => populator.stop(),
  };
}

function naive({ config, serde, redis, topic, groupId }: VariantSettings, partitionsConsumedConcurrently: number): Variant {
  const readers = allEventSchemas().map((schema) => schema.type);
  const consumer = createKafka({ clientId: 'bench-naive', brokers: config.kafka.brokers, logLevel: logLevel.ERROR }).consumer({ groupId });
  let processed = 0;
  return {
    consumer,
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        partitionsConsumedConcurrently,
        eachMessage: async ({ message }) => {
          const key = message.key?.toString() ?? '';
          if (message.value === null) await redis.del(naiveKey(key));
          else await redis.set(naiveKey(key), JSON.stringify((await serde.decode(message.value, readers)).value));
          processed += 1;
        },
      });
    },
    processed: async () => processed,
    stop: () => consumer.disconnect(),
  };
}
