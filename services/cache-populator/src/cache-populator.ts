import { Kafka, logLevel, Partitioners, type Consumer, type EachMessagePayload, type Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { AvroSerde } from '@evergreen/avro-serde';
import type { Logger } from '@evergreen/platform';
import { sendToDeadLetter } from './dead-letter.ts';
import { kafkaLogCreator } from './kafka-logging.ts';
import { PoisonRecordError } from './poison.ts';
import { UserCache } from './user-cache.ts';
import { eventMetadata, UserEventDecoder } from './user-events.ts';

export interface CachePopulatorOptions {
  brokers: string[];
  topic: string;
  groupId: string;
  redis: Redis;
  serde: AvroSerde;
  logger: Logger;
  /** How many partitions are worked on at once; records of one partition are always applied in order. */
  concurrency?: number;
}

export interface CachePopulatorCounters {
  applied: number;
  stale: number;
  deadLettered: number;
}

export interface CachePopulator {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly counters: CachePopulatorCounters;
  readonly consumer: Consumer;
}

/**
 * Applies user events to Redis. Kafka offsets are committed by kafkajs only for records whose
 * handler finished, i.e. after Redis acknowledged the write (or the record was dead-lettered),
 * so a crash re-delivers rather than loses; the version check makes re-delivery harmless.
 */
export function createCachePopulator(options: CachePopulatorOptions): CachePopulator {
  const { topic, logger } = options;
  const kafka = new Kafka({
    clientId: 'evergreen-cache-populator',
    brokers: options.brokers,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(logger),
  });
  const consumer = kafka.consumer({ groupId: options.groupId });
  // The Java-compatible partitioner puts a dead letter's key on the same partition number the
  // Debezium (Java) producer chose for the original, which keeps replays in key order.
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  const cache = new UserCache(options.redis);
  const decoder = new UserEventDecoder(options.serde);
  const counters: CachePopulatorCounters = { applied: 0, stale: 0, deadLettered: 0 };

  async function handle({ topic: recordTopic, partition, message }: EachMessagePayload): Promise<void> {
    const where = { topic: recordTopic, partition, offset: message.offset };
    try {
      const metadata = eventMetadata(message.key, message.headers);
      const change = await decoder.toChange(metadata, message.value);
      const outcome = change.kind === 'upsert' ? await cache.apply(change.entry) : await cache.forget(change.userId, change.version, change.eventId);
      counters[outcome === 'applied' ? 'applied' : 'stale'] += 1;
      logger.debug({ ...where, eventId: metadata.eventId, userId: metadata.aggregateId, version: metadata.aggregateVersion, outcome }, 'event applied');
    } catch (error) {
      if (!(error instanceof PoisonRecordError)) {
        logger.warn({ ...where, err: error }, 'transient failure; the record will be retried');
        throw error;
      }
      await sendToDeadLetter(producer, { topic: recordTopic, partition, message }, error);
      counters.deadLettered += 1;
      logger.error({ ...where, reason: error.reason, err: error }, 'poison record sent to the dead-letter topic');
    }
  }

  return {
    counters,
    consumer,
    async start() {
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({ partitionsConsumedConcurrently: options.concurrency ?? 3, eachMessage: handle });
      logger.info({ topic, groupId: options.groupId }, 'cache populator consuming');
    },
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}
