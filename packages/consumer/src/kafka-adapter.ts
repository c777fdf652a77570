import { logLevel, Partitioners, type Consumer, type Kafka, type Producer } from 'kafkajs';
import { createKafka, type Logger } from '@evergreen/platform';
import { kafkaLogCreator } from './kafka-logging.ts';

export interface KafkaParts {
  kafka: Kafka;
  consumer: Consumer;
  /** Writes dead letters. */
  producer: Producer;
}

export interface KafkaPartsOptions {
  name: string;
  groupId: string;
  brokers: string[];
  logger: Logger;
  /** Compressed bytes fetched per partition and request (default 256 KiB). */
  maxBytesPerPartition?: number;
}

/** The kafkajs client, group member and dead-letter producer of one projection consumer, set as it needs them. */
export function kafkaParts(options: KafkaPartsOptions): KafkaParts {
  const kafka = createKafka({ clientId: options.name, brokers: options.brokers, logLevel: logLevel.WARN, logCreator: kafkaLogCreator(options.logger) });
  // Smaller fetches than kafkajs' 1 MiB per partition: as fast here, and a third of the memory,
  // since every fetched batch is held decompressed until all its slices are applied.
  // A member that died (kill -9) holds its partitions until its session times out; kafkajs'
  // 30 s default kept a killed populator's partitions, and a restarted broker's groups, unread for
  // half a minute. 10 s is enough here: batches heartbeat between slices and while they retry.
  const consumer = kafka.consumer({
    groupId: options.groupId,
    maxBytesPerPartition: options.maxBytesPerPartition ?? 256 * 1024,
    sessionTimeout: 10_000,
    heartbeatInterval: 2_000,
    rebalanceTimeout: 20_000,
  });
  // The Java-compatible partitioner sends a dead letter's key to the partition number the relay's
  // (Java) producer chose for the original, keeping one key's dead letters in order.
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  return { kafka, consumer, producer };
}

export interface GroupEvents {
  /** Joined (again) with this assignment: topic → partitions. */
  joined(assignment: Readonly<Record<string, readonly number[]>>): void;
  /** kafkajs gave up and will not restart its runner: from now on nothing is fetched. */
  crashedForGood(error: Error): void;
}

/** Subscribes to the member's group events kafkajs emits, in the consumer's terms. */
export function watchGroup(consumer: Pick<Consumer, 'on' | 'events'>, logger: Logger, events: GroupEvents): void {
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => events.joined(payload.memberAssignment));
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart) {
      logger.error({ err: payload.error, restart: true }, 'consumer crashed; kafkajs restarts it');
      return;
    }
    logger.fatal({ err: payload.error, restart: false }, 'consumer crashed and kafkajs will not restart it; the process must be restarted');
    events.crashedForGood(payload.error);
  });
}
