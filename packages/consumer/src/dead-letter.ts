import type { IHeaders, KafkaMessage, Producer, ProducerRecord } from 'kafkajs';
import { deadLetterTopic } from '@evergreen/event-catalog';
import { PRODUCE_ACK_TIMEOUT_MS } from '@evergreen/platform';
import type { PoisonRecordError } from './poison.ts';

// The names of an aggregate's retry and dead-letter topics belong to the catalog's topic naming,
// which connect-config creates the topics from.
export { deadLetterTopic, mainTopicOf, retryTopic } from '@evergreen/event-catalog';

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
    timeout: PRODUCE_ACK_TIMEOUT_MS,
    messages: [{ key: source.message.key, value: source.message.value, headers }],
  };
}

/** Publishes a poison record to <topic>.dlq (see deadLetterRecord). */
export async function sendToDeadLetter(producer: Producer, source: DeadLetterSource, error: PoisonRecordError): Promise<void> {
  await producer.send(deadLetterRecord(source, error));
}
