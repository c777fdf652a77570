import type { KafkaMessage } from 'kafkajs';
import type { Logger } from '@evergreen/platform';
import { mainTopicOf, RETRY_GROUP_HEADER } from './dead-letter.ts';
import type { EventDecoder } from './decoder.ts';
import { headersOf, type ConsumedEvent } from './event.ts';
import type { Handler } from './options.ts';
import { PoisonRecordError } from './poison.ts';
import type { PendingOperation } from './sink.ts';

/** One record after decoding and handling, before the store. */
export type Handled<Op> =
  | { kind: 'operation'; operation: PendingOperation<Op> }
  /** Decoded, but nothing to write: its handler returned nothing, or it has none and the consumer skips such types. */
  | { kind: 'skip'; eventType: string }
  /** Refused for good; it goes to the dead-letter topic. */
  | { kind: 'poison'; message: KafkaMessage; error: PoisonRecordError }
  /** A record of a retry topic addressed to another group: read past, not counted. */
  | { kind: 'foreign' };

export interface RecordHandlerOptions<Op> {
  groupId: string;
  /** Which aggregate a topic carries, by its main topic. */
  aggregateOfTopic: ReadonlyMap<string, string>;
  retryTopics: ReadonlySet<string>;
  decoder: Pick<EventDecoder, 'decode'>;
  /** By aggregate type, then event type. */
  handlers: Readonly<Record<string, Readonly<Record<string, Handler<Op>>>>>;
  /** An event type the aggregate declares but this consumer has no handler for: dead-letter or skip it. */
  unhandledEventTypes: 'dead-letter' | 'skip';
  logger: Logger;
}

/**
 * Turns one record into what its handler wants written (or into nothing). Throws for a record it
 * refuses (PoisonRecordError, or the serde's permanent errors) and for what may pass later (the
 * registry away): the caller decides from the error's classification (runStep).
 */
export class RecordHandler<Op> {
  constructor(private readonly options: RecordHandlerOptions<Op>) {}

  async handle(topic: string, partition: number, message: KafkaMessage): Promise<Handled<Op>> {
    const { options } = this;
    if (options.retryTopics.has(topic)) {
      // A replayed dead letter is for the group that refused it; every other group reads past it.
      const target = headersOf(message.headers)[RETRY_GROUP_HEADER];
      if (target !== options.groupId) {
        if (target === undefined) options.logger.warn({ topic, partition, offset: message.offset }, `record without a ${RETRY_GROUP_HEADER} header on a retry topic; no group applies it`);
        return { kind: 'foreign' };
      }
    }
    const aggregateType = options.aggregateOfTopic.get(mainTopicOf(topic));
    if (aggregateType === undefined) throw new Error(`record of topic ${topic}, which this consumer does not read (a wiring bug)`);
    let event: ConsumedEvent;
    try {
      event = await options.decoder.decode(aggregateType, topic, partition, message);
    } catch (error) {
      // A consumer that wants only some event types reads past one its catalog does not know yet too.
      if (options.unhandledEventTypes === 'skip' && error instanceof PoisonRecordError && error.code === 'UNKNOWN_EVENT_TYPE') {
        return { kind: 'skip', eventType: headersOf(message.headers).eventType ?? '' };
      }
      throw error;
    }
    const handlers = options.handlers[aggregateType];
    // Own properties only: an event type spelled like a member of every object is no handler.
    const handler = handlers && Object.hasOwn(handlers, event.eventType) ? handlers[event.eventType] : undefined;
    if (!handler) {
      if (options.unhandledEventTypes === 'skip') return { kind: 'skip', eventType: event.eventType };
      throw new PoisonRecordError('UNKNOWN_EVENT_TYPE', `no handler for event type ${event.eventType}`);
    }
    let op: Op | undefined;
    try {
      op = handler(event);
    } catch (error) {
      // Handlers are pure mappings: what one refuses, it refuses every time.
      if (error instanceof PoisonRecordError) throw error;
      throw new PoisonRecordError('HANDLER_REJECTED', `handler for ${event.eventType} failed: ${(error as Error).message}`, { cause: error });
    }
    return op === undefined ? { kind: 'skip', eventType: event.eventType } : { kind: 'operation', operation: { op, event } };
  }
}
