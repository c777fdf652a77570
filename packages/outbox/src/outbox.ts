import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AvroSerde } from '@evergreen/avro-serde';
import { EvergreenError } from '@evergreen/errors';
import { hasEventType, type AnyAggregate, type EventCatalog, type EventTypeOf, type PayloadOf } from '@evergreen/event-catalog';
import { activeTraceparent, aggregateTopic, contextOf, inSpan, messagingAttributes, readMigrations, SpanKind, type Migration, type StackConfig } from '@evergreen/platform';

/** The part of a pg Client / PoolClient the outbox needs: the caller's open transaction. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

export interface OutboxEvent {
  aggregateType: string;
  aggregateId: string;
  /** The Avro record name of the payload; also the eventType header. */
  eventType: string;
  /** The aggregate's version after this change. */
  aggregateVersion: number;
  /** The event body, validated against the event's schema in the catalog; null for a tombstone event. */
  data: Record<string, unknown> | null;
  /** Defaults to a fresh UUID; becomes the `id` header, the consumers' deduplication key. */
  eventId?: string;
  /**
   * W3C traceparent of the work that caused the event; defaults to the active trace context, if
   * any. With tracing on, the row carries the traceparent of the event's PRODUCER span, its child.
   */
  traceContext?: string;
}

export interface OutboxOptions {
  serde: AvroSerde;
  /** The application's events: which are tombstones, and the schema each payload is validated against. */
  catalog: EventCatalog;
  config: Pick<StackConfig, 'topics'>;
  /**
   * Keep rows after insert (for auditing). By default each row is deleted in the same
   * transaction right after its insert: Debezium reads the insert from the WAL, and the table stays empty.
   */
  keepRows?: boolean;
}

export interface PublishedEvent {
  eventId: string;
  topic: string;
}

export interface Outbox {
  /** Writes the event's outbox row inside the caller's transaction; throws (so the caller rolls back) when the data is invalid. */
  publish(tx: Queryable, event: OutboxEvent): Promise<PublishedEvent>;
}

/**
 * The payload in the Confluent wire format, validated against the event's schema; or no payload
 * for a tombstone event (which the relay turns into a Kafka tombstone for the aggregate's key).
 */
async function encodePayload(options: OutboxOptions, event: OutboxEvent): Promise<{ topic: string; payload: Buffer | null }> {
  assertReadable(options.catalog.aggregate(event.aggregateType), event);
  const tombstone = options.catalog.isTombstone(event.aggregateType, event.eventType);
  if (tombstone !== (event.data === null)) {
    throw new Error(
      tombstone
        ? `${event.aggregateType}/${event.eventType} is a tombstone event: publish it with data null`
        : `${event.aggregateType}/${event.eventType} needs its data; only tombstone events have none`,
    );
  }
  if (event.data === null) return { topic: aggregateTopic(options.config, event.aggregateType), payload: null };
  const schema = options.catalog.topicSchema(options.config, event.aggregateType, event.eventType);
  return { topic: schema.topic, payload: await options.serde.encode(schema, event.data) };
}

/**
 * Refuses, before anything is written, an event every consumer would dead-letter: an event type the
 * aggregate does not declare, an id its key format refuses, a version that is not a positive integer.
 */
function assertReadable(aggregate: AnyAggregate, event: OutboxEvent): void {
  if (!hasEventType(aggregate, event.eventType)) throw new EvergreenError('INVALID_VALUE', `aggregate ${aggregate.type} has no event type ${event.eventType}`, { field: 'eventType' });
  if (!aggregate.key.test(event.aggregateId)) throw new EvergreenError('INVALID_VALUE', `aggregate id ${JSON.stringify(event.aggregateId.slice(0, 64))} is not ${aggregate.key.description}`, { field: 'aggregateId' });
  if (!Number.isSafeInteger(event.aggregateVersion) || event.aggregateVersion < 1) {
    throw new EvergreenError('INVALID_VALUE', `aggregate version ${event.aggregateVersion} is not a positive integer`, { field: 'aggregateVersion' });
  }
}

/** The fields of one event besides its aggregate and type; `data` is checked against the event's payload type. */
export interface TypedEventFields<Data> {
  aggregateId: string;
  aggregateVersion: number;
  data: Data;
  eventId?: string;
  traceContext?: string;
}

/** An OutboxEvent of a descriptor's event type, its data checked by the compiler against the payload type generated from the schema. */
export function outboxEvent<A extends AnyAggregate, E extends EventTypeOf<A>>(aggregate: A, eventType: E, fields: TypedEventFields<PayloadOf<A, E>>): OutboxEvent {
  return { ...fields, aggregateType: aggregate.type, eventType, data: fields.data as OutboxEvent['data'] };
}

export function createOutbox(options: OutboxOptions): Outbox {
  return {
    async publish(tx, event) {
      const { topic, payload } = await encodePayload(options, event);
      const eventId = event.eventId ?? randomUUID();
      // The send to Kafka is the relay's, after the commit; this span is where the message is
      // made, and its context, stored in the row, is the parent of every consumer's work on it.
      const send = {
        name: `send ${topic}`,
        kind: SpanKind.PRODUCER,
        attributes: messagingAttributes('send', { topic, messageId: eventId, key: event.aggregateId }),
        ...(event.traceContext !== undefined && { parent: contextOf(event.traceContext) }),
      };
      return inSpan(send, async (span) => {
        // With tracing off there is no span: the row carries the caller's context as it is.
        const traceparent = span === undefined && event.traceContext !== undefined ? event.traceContext : activeTraceparent();
        await tx.query(
          'INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, aggregateversion, tracingspancontext) VALUES ($1, $2, $3, $4, $5, $6, $7)',
          [eventId, event.aggregateType, event.aggregateId, event.eventType, payload, event.aggregateVersion, traceparent ?? null],
        );
        if (!options.keepRows) await tx.query('DELETE FROM outbox WHERE id = $1', [eventId]);
        return { eventId, topic };
      });
    },
  };
}

/** The outbox table, the heartbeat table and the publication the connector reads. */
export function outboxMigrations(): Migration[] {
  return readMigrations('outbox', join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations'));
}
