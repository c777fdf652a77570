import type { AvroSerde } from '@evergreen/avro-serde';
import type avro from 'avsc';
import type { KafkaMessage } from 'kafkajs';
import { headersOf, metadataOf, type ConsumedEvent } from './event.ts';
import { isPoisonDecodeFailure, PoisonRecordError } from './poison.ts';

/** What the decoder needs to know of the events it reads: the reader schemas, and which event types are tombstones. */
export interface DecoderEvents {
  /** The consumer's reader schemas, as built into it. */
  readers: readonly avro.Type[];
  isTombstone(aggregateType: string, eventType: string): boolean;
}

/**
 * Turns a Kafka record into a ConsumedEvent: metadata from the key and headers, the payload
 * decoded with the writer's schema (by id, from the registry) and resolved into the consumer's
 * reader schema. Throws PoisonRecordError for what can never be decoded; anything else it throws
 * (the registry away) is transient.
 */
export class EventDecoder {
  constructor(
    private readonly serde: AvroSerde,
    private readonly events: DecoderEvents,
  ) {}

  /** `aggregateType`: the aggregate whose topic the record was read from. */
  async decode(aggregateType: string, topic: string, partition: number, message: KafkaMessage): Promise<ConsumedEvent> {
    const headers = headersOf(message.headers);
    const { eventId, eventType, aggregateId, aggregateVersion } = metadataOf(message.key, headers);
    const event = (payload: unknown): ConsumedEvent => ({
      eventId, eventType, aggregateId, aggregateVersion, payload, headers, topic, partition, offset: message.offset, occurredAt: Number(message.timestamp),
    });
    if (this.events.isTombstone(aggregateType, eventType)) {
      if (message.value !== null) throw new PoisonRecordError('rejected', `${eventType} with a payload; it is a tombstone event`);
      return event(null);
    }
    if (message.value === null) throw new PoisonRecordError('rejected', `${eventType} without a payload`);
    try {
      const { value } = await this.serde.decode<unknown>(message.value, this.events.readers);
      return event(value);
    } catch (error) {
      if (isPoisonDecodeFailure(error)) throw new PoisonRecordError('undecodable', error.message, { cause: error });
      throw error;
    }
  }
}
