import type { AvroSerde } from '@evergreen/avro-serde';
import { hasEventType, isTombstoneOf, type AnyAggregate } from '@evergreen/event-catalog';
import type avro from 'avsc';
import type { KafkaMessage } from 'kafkajs';
import { assertUnambiguous, headersOf, metadataOf, type ConsumedEvent } from './event.ts';
import { assertStateMatchesRecord, PoisonRecordError } from './poison.ts';

/** What the decoder needs to know of the events it reads. */
export interface DecoderEvents {
  /** The consumer's reader schemas, as built into it. */
  readers: readonly avro.Type[];
  /** The aggregates it reads, by type: their event types, tombstones and key format. */
  aggregates: readonly AnyAggregate[];
}

/**
 * Turns a Kafka record into a ConsumedEvent: metadata from the key and headers, the payload
 * decoded with the writer's schema (by id, from the registry) and resolved into the consumer's
 * reader schema. Throws PoisonRecordError for what can never be decoded; what else it throws (the
 * registry away, slow or misconfigured) says so by its code (@evergreen/errors).
 */
export class EventDecoder {
  private readonly aggregates: ReadonlyMap<string, AnyAggregate>;

  constructor(
    private readonly serde: AvroSerde,
    private readonly events: DecoderEvents,
  ) {
    this.aggregates = new Map(events.aggregates.map((aggregate) => [aggregate.type, aggregate]));
  }

  /**
   * `aggregateType`: the aggregate whose topic the record was read from. Checks, in order, what can
   * be known without the registry: the metadata headers, the key against the aggregate's key format,
   * the event type against the aggregate's, and whether the value's presence fits the event type.
   */
  async decode(aggregateType: string, topic: string, partition: number, message: KafkaMessage): Promise<ConsumedEvent> {
    const aggregate = this.aggregates.get(aggregateType);
    if (!aggregate) throw new Error(`no aggregate ${aggregateType} among this decoder's (a consumer wiring bug)`);
    assertUnambiguous(message.headers);
    const headers = headersOf(message.headers);
    const { eventId, eventType, aggregateId, aggregateVersion } = metadataOf(message.key, headers);
    if (!aggregate.key.test(aggregateId)) {
      throw new PoisonRecordError('INVALID_KEY', `record key ${JSON.stringify(aggregateId.slice(0, 64))} is not a ${aggregate.type} id: ${aggregate.key.description}`);
    }
    if (!hasEventType(aggregate, eventType)) {
      throw new PoisonRecordError('UNKNOWN_EVENT_TYPE', `${JSON.stringify(eventType.slice(0, 64))} is not an event type of aggregate ${aggregate.type}`);
    }
    const event = (payload: unknown): ConsumedEvent => ({
      eventId, eventType, aggregateId, aggregateVersion, payload, headers, topic, partition, offset: message.offset, occurredAt: Number(message.timestamp),
    });
    if (isTombstoneOf(aggregate, eventType)) {
      if (message.value !== null) throw new PoisonRecordError('PAYLOAD_MISMATCH', `${eventType} with a payload; it is a tombstone event`);
      return event(null);
    }
    if (message.value === null) throw new PoisonRecordError('PAYLOAD_MISMATCH', `${eventType} without a payload (a tombstone); only a tombstone event may have none`);
    const { value, writerName } = await this.serde.decode<unknown>(message.value, this.events.readers);
    // The eventType header is the Avro record's simple name: a payload of another event type is
    // not this event, whatever a reader could make of it.
    const writtenAs = writerName.split('.').pop();
    if (writtenAs !== eventType) throw new PoisonRecordError('PAYLOAD_MISMATCH', `the eventType header says ${eventType}, the payload is a ${writerName}`);
    if (aggregate.state) {
      const state = value as Record<string, unknown>;
      assertStateMatchesRecord({ aggregateId, aggregateVersion }, aggregate.state.idField, String(state[aggregate.state.idField]), Number(state[aggregate.state.versionField]));
    }
    return event(value);
  }
}
