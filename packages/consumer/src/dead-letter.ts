import type { IHeaders, KafkaMessage, Producer, ProducerRecord } from 'kafkajs';
import type { PoisonRecordError } from './poison.ts';

const RETRY_SUFFIX = '.retry';

/**
 * Where dead letters are replayed to: `<topic>.retry`, a topic with a time-based retention
 * (cleanup.policy=delete) that every group on `<topic>` also reads. Its records carry
 * RETRY_GROUP_HEADER: only the group named there applies them, the others read past them.
 * A replay never writes `<topic>` itself: on a compacted topic the highest offset of a key
 * survives compaction, so an old version written there would become the key's snapshot.
 */
export const retryTopic = (topic: string) => `${topic}${RETRY_SUFFIX}`;

/** The topic a retry topic belongs to (`x` for `x.retry`); any other topic is its own. */
export const mainTopicOf = (topic: string) => (topic.endsWith(RETRY_SUFFIX) ? topic.slice(0, -RETRY_SUFFIX.length) : topic);

/** `<topic>.dlq`; a record read from `<topic>.retry` is dead-lettered to `<topic>.dlq` as well. */
export const deadLetterTopic = (topic: string) => `${mainTopicOf(topic)}.dlq`;

/** On a record of a retry topic: the consumer group that is to apply it. */
export const RETRY_GROUP_HEADER = 'retry.group';

/** The headers a dead letter gets on top of the original's; a replay strips them again. */
export const DEAD_LETTER_HEADERS = ['dlq.reason', 'dlq.error', 'dlq.topic', 'dlq.partition', 'dlq.offset', 'dlq.timestamp', 'dlq.group', 'dlq.at'] as const;

function withoutNullHeaders(headers: IHeaders | undefined): IHeaders {
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([, value]) => value !== null && value !== undefined));
}

export interface DeadLetterSource {
  /** The topic the record was read from: `<topic>` or its retry topic. */
  topic: string;
  partition: number;
  message: KafkaMessage;
  /**
   * The consumer group that refused the record. Every group on a topic dead-letters into the same
   * <topic>.dlq, so this says whose handler or schema needs the fix, and a replay goes to that
   * group alone.
   */
  group: string;
}

/**
 * The record for <topic>.dlq: the original key, value and headers, plus headers saying why and
 * where it came from (dlq.timestamp: the original record's timestamp), so it can be inspected and
 * replayed.
 */
export function deadLetterRecord(source: DeadLetterSource, error: PoisonRecordError, now: Date = new Date()): ProducerRecord {
  const headers: IHeaders = {
    // Null-valued headers (a null outbox column) are dropped: kafkajs cannot write them back.
    ...withoutNullHeaders(source.message.headers),
    'dlq.reason': error.reason,
    'dlq.error': error.message.slice(0, 1_000),
    'dlq.topic': source.topic,
    'dlq.partition': String(source.partition),
    'dlq.offset': source.message.offset,
    'dlq.timestamp': source.message.timestamp,
    'dlq.group': source.group,
    'dlq.at': now.toISOString(),
  };
  return {
    topic: deadLetterTopic(source.topic),
    acks: -1,
    messages: [{ key: source.message.key, value: source.message.value, headers }],
  };
}

/** Publishes a poison record to <topic>.dlq (see deadLetterRecord). */
export async function sendToDeadLetter(producer: Producer, source: DeadLetterSource, error: PoisonRecordError): Promise<void> {
  await producer.send(deadLetterRecord(source, error));
}
