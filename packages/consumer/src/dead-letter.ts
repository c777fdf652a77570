import type { IHeaders, KafkaMessage, Producer, ProducerRecord } from 'kafkajs';
import { deadLetterTopic } from '@evergreen/event-catalog';
import { PRODUCE_ACK_TIMEOUT_MS } from '@evergreen/platform';
import type { PoisonRecordError } from './poison.ts';
import { runStep, type RetryOptions, type StepHooks } from './retry-policy.ts';

// The names of an aggregate's retry and dead-letter topics belong to the catalog's topic naming,
// which connect-config creates the topics from.
export { deadLetterTopic, mainTopicOf, retryTopic } from '@evergreen/event-catalog';

/** On a record of a retry topic: the consumer group that is to apply it. */
export const RETRY_GROUP_HEADER = 'retry.group';

/** The headers a dead letter gets on top of the original's; a replay strips them again. */
export const DEAD_LETTER_HEADERS = ['dlq.reason', 'dlq.error', 'dlq.topic', 'dlq.partition', 'dlq.offset', 'dlq.timestamp', 'dlq.group', 'dlq.at', 'dlq.value-omitted'] as const;

/** The headers the relay sets that say what the event is: a slimmed dead letter keeps only these of the original's. */
const EVENT_HEADERS = ['id', 'eventType', 'aggregateVersion', 'traceparent'] as const;

/** How much of the error a dead letter carries: enough for a stack and its causes, small beside Kafka's limits. */
const ERROR_TEXT_LIMIT = 4_000;

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
    ...provenance(source, error, now),
  };
  return {
    topic: deadLetterTopic(source.topic),
    acks: -1,
    timeout: PRODUCE_ACK_TIMEOUT_MS,
    messages: [{ key: source.message.key, value: source.message.value, headers }],
  };
}

/**
 * The dead letter of a record too large for the dead-letter topic (or refused there for another
 * reason that is the record's): its key, the event headers and where the record is, without its
 * value, which stays readable at dlq.topic/partition@offset for as long as that topic keeps it.
 */
export function slimDeadLetterRecord(source: DeadLetterSource, error: PoisonRecordError, refusal: string, now: Date = new Date()): ProducerRecord {
  const original = withoutNullHeaders(source.message.headers);
  const kept = Object.fromEntries(EVENT_HEADERS.flatMap((name) => (original[name] === undefined ? [] : [[name, original[name]]])));
  const size = source.message.value?.length ?? 0;
  const headers: IHeaders = {
    ...kept,
    ...provenance(source, error, now),
    'dlq.value-omitted': `${size} bytes; the dead-letter topic refused the whole record (${refusal.slice(0, 500)}); read it at ${source.topic}/${source.partition}@${source.message.offset}`,
  };
  return { topic: deadLetterTopic(source.topic), acks: -1, messages: [{ key: source.message.key, value: null, headers }] };
}

function provenance(source: DeadLetterSource, error: PoisonRecordError, now: Date): IHeaders {
  return {
    'dlq.reason': error.reason,
    'dlq.error': error.message.slice(0, ERROR_TEXT_LIMIT),
    'dlq.topic': source.topic,
    'dlq.partition': String(source.partition),
    'dlq.offset': source.message.offset,
    'dlq.timestamp': source.message.timestamp,
    'dlq.group': source.group,
    'dlq.at': now.toISOString(),
  };
}

/** Publishes a poison record to <topic>.dlq (see deadLetterRecord). */
export async function sendToDeadLetter(producer: Producer, source: DeadLetterSource, error: PoisonRecordError): Promise<void> {
  await producer.send(deadLetterRecord(source, error));
}

/**
 * Sends dead letters so that none is lost: what Kafka may accept later (a broker away, a topic
 * being created) is retried for as long as it takes; a record the dead-letter topic refuses for
 * good (too large) goes as its slim dead letter, which is retried whatever happens, since giving
 * up on it would drop the record. Until a dead letter is written the partition does not move on.
 */
export class DeadLetterWriter {
  constructor(
    private readonly producer: Pick<Producer, 'send'>,
    private readonly retry: RetryOptions,
  ) {}

  async send(source: DeadLetterSource, error: PoisonRecordError, hooks: StepHooks): Promise<void> {
    const whole = await runStep(() => this.producer.send(deadLetterRecord(source, error)), hooks, { retry: this.retry, dependency: 'kafka', singleRecord: true });
    if (whole.ok) return;
    const slim = slimDeadLetterRecord(source, error, whole.error.message);
    await runStep(() => this.producer.send(slim), hooks, { retry: this.retry, dependency: 'kafka', singleRecord: true, neverGiveUp: true });
  }
}
