import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { AvroSerde } from '@evergreen/avro-serde';
import { createCachePopulator } from '@evergreen/cache-populator';
import type { ProjectionConsumer } from '@evergreen/consumer';
import { Registry } from 'prom-client';
import { createOutbox, type Outbox } from '@evergreen/outbox';
import { eventCatalog } from '@evergreen/schemas';
import { aggregateTopic, createKafka, createLogger, createPool, loadStackConfig, pollUntil, type StackConfig } from '@evergreen/platform';
import { buildApp } from '@evergreen/registration-api';
import { logLevel } from 'kafkajs';
import { RecordTap, type TappedRecord } from './record-tap.ts';
import { waitUntilGroupCaughtUp } from './caught-up.ts';

/** The writer side, the consumer side and a tap on the relay's topic, all in this process against the real stack. */
export interface Harness {
  config: StackConfig;
  topic: string;
  pool: pg.Pool;
  serde: AvroSerde;
  outbox: Outbox;
  redis: Redis;
  app: FastifyInstance;
  populator: ProjectionConsumer;
  /** The populator's consumer group, of this run only. */
  populatorGroupId: string;
  /** The populator's metrics. */
  registry: Registry;
  tap: RecordTap;
  /** Waits until the populator's group has committed past this record: it was applied (or dead-lettered). */
  waitUntilConsumed(record: TappedRecord, timeoutMs?: number): Promise<void>;
  /** Waits until a group has committed every partition of the topic up to where it ends now. */
  waitUntilCaughtUp(groupId: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const config = loadStackConfig();
  const topic = aggregateTopic(config, 'user');
  const logger = createLogger('e2e', process.env.EVERGREEN_E2E_LOG_LEVEL ?? 'silent');
  const pool = createPool(config.postgres);
  const serde = AvroSerde.forRegistry(config.registry);
  const outbox = createOutbox({ serde, config, catalog: eventCatalog });
  const redis = new Redis({ host: config.redis.host, port: config.redis.port, db: config.redis.db });
  const app = await buildApp({ pool, outbox, redis, readYourWritesTimeoutMs: config.api.readYourWritesTimeoutMs, logger });
  // A group of its own per run: it reads the topic from the start, like a freshly deployed populator.
  const groupId = `evergreen-e2e-populator-${randomUUID()}`;
  const registry = new Registry();
  const populator = createCachePopulator({ brokers: config.kafka.brokers, topic, groupId, redis, serde, logger, registry });
  const tap = new RecordTap(config.kafka.brokers, topic);
  const admin = createKafka({ clientId: 'evergreen-e2e-admin', brokers: config.kafka.brokers, logLevel: logLevel.ERROR }).admin();
  await Promise.all([populator.start(), tap.start(), admin.connect()]);
  return {
    config,
    topic,
    pool,
    serde,
    outbox,
    redis,
    app,
    populator,
    populatorGroupId: groupId,
    registry,
    tap,
    async waitUntilConsumed(record, timeoutMs = 30_000) {
      await pollUntil(
        async () => {
          const [committed] = await admin.fetchOffsets({ groupId, topics: [record.topic] });
          const partition = committed?.partitions.find((entry) => entry.partition === record.partition);
          // The committed offset is the next one to read, so it passes the record once the record is done.
          return partition !== undefined && BigInt(partition.offset) > BigInt(record.offset);
        },
        { description: `group ${groupId} to commit past ${record.topic}/${record.partition}@${record.offset}`, timeoutMs, intervalMs: 100 },
      );
    },
    waitUntilCaughtUp: (group, timeoutMs) => waitUntilGroupCaughtUp(admin, group, [topic], timeoutMs),
    async close() {
      await Promise.all([populator.stop(), tap.stop(), admin.disconnect()]);
      await app.close();
      await pool.end();
      redis.disconnect();
    },
  };
}

export const uniqueEmail = (label: string) => `${label}-${randomUUID()}@example.com`;

/** Waits until the user's cache entry has reached `version`, and returns it. */
export async function cacheEntryAt(redis: Redis, key: string, version: number, timeoutMs = 30_000): Promise<Record<string, string>> {
  return pollUntil(
    async () => {
      const entry = await redis.hgetall(key);
      return Number(entry.version) >= version ? entry : undefined;
    },
    { description: `${key} to reach version ${version}`, timeoutMs, intervalMs: 100 },
  );
}
