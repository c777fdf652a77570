import type { AvroSerde } from '@evergreen/avro-serde';
import { allEventSchemas, isTombstoneEventType } from '@evergreen/schemas';
import type avro from 'avsc';
import type { KafkaMessage } from 'kafkajs';
import { headersOf, metadataOf, type ConsumedEvent } from './event.ts';
import { isPoisonDecodeFailure, PoisonRecordError } from './poison.ts';

/**
 * Turns a Kafka record into a ConsumedEvent: metadata from the key and headers, the payload
 * decoded with the writer's schema (by id, from the registry) and resolved into the consumer's
 * reader schema. Throws PoisonRecordError for what can never be decoded; anything else it throws
 * (the registry away) is transient.
 */
export class EventDecoder {
  constructor(
    private readonly serde: AvroSerde,
    /** The consumer's reader schemas; by default every schema in schemas/, as built into this consumer. */
    private readonly readers: readonly avro.Type[] = allEventSchemas().map((schema) => schema.type),
  ) {}

  async decode(topic: string, partition: number, message: KafkaMessage): Promise<ConsumedEvent> {
    const headers = headersOf(message.headers);
    const { eventId, eventType, aggregateId, aggregateVersion } = metadataOf(message.key, headers);
    const event = (payload: unknown): ConsumedEvent => ({
      eventId, eventType, aggregateId, aggregateVersion, payload, headers, topic, partition, offset: message.offset, occurredAt: Number(message.timestamp),
    });
    if (isTombstoneEventType(eventType)) {
      if (message.value !== null) throw new PoisonRecordError('rejected', `${eventType} with a payload; it is a tombstone event`);
      return event(null);
    }
    if (message.value === null) throw new PoisonRecordError('rejected', `${eventType} without a payload`);
    try {
      const { value } = await this.serde.decode<unknown>(message.value, this.readers);
      return event(value);
    } catch (error) {
      if (isPoisonDecodeFailure(error)) throw new PoisonRecordError('undecodable', error.message, { cause: error });
      throw error;
    }
  }
}
