import { PoisonRecordError } from './poison.ts';

/** What a record's key and headers say about the event, before its payload is decoded. */
export interface EventMetadata {
  eventId: string;
  eventType: string;
  aggregateId: string;
  aggregateVersion: number;
}

/** One event as a handler sees it: the decoded payload plus everything known about the record. */
export interface ConsumedEvent<T = unknown> extends EventMetadata {
  /** The payload resolved into this consumer's reader schema; null for a tombstone event (e.g. UserDeleted). */
  payload: T;
  /** Every header as a string, those the relay set (id, eventType, aggregateVersion, traceparent) included. */
  headers: Record<string, string>;
  topic: string;
  partition: number;
  offset: string;
  /** Commit-side time of the event (the outbox row's occurred_at, the record's timestamp), epoch ms. */
  occurredAt: number;
}

// kafkajs types header values as Buffer | string | array, but a header written with a null value
// (the relay does that for a null outbox column, e.g. no trace context) arrives as null.
type HeaderValue = Buffer | string | null | (Buffer | string | null)[] | undefined;

function headerText(value: HeaderValue): string | undefined {
  const single = Array.isArray(value) ? value[0] : value;
  return single === undefined || single === null ? undefined : single.toString();
}

/** Every header of a record as text; null-valued ones are left out. */
export function headersOf(headers: Record<string, HeaderValue> | undefined): Record<string, string> {
  const text: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const single = headerText(value);
    if (single !== undefined) text[name] = single;
  }
  return text;
}

// Digits only: Number() would also take '', ' ', '1e3', '0x1f' or '-1'.
const VERSION = /^\d{1,15}$/;
// The outbox writes a UUID; a store keyed by it (the inbox) would fail on anything else on every
// retry, so such a record is refused here, once, as poison.
const EVENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function eventMetadata(key: Buffer | null, headers: Record<string, HeaderValue> | undefined): EventMetadata {
  return metadataOf(key, headersOf(headers));
}

/** eventMetadata for headers already read as text (headersOf). */
export function metadataOf(key: Buffer | null, text: Record<string, string>): EventMetadata {
  const { id: eventId, eventType, aggregateVersion } = text;
  const aggregateId = key?.toString();
  if (!eventId || !eventType || !aggregateId || !aggregateVersion || !VERSION.test(aggregateVersion)) {
    throw new PoisonRecordError('missing-metadata', 'record lacks its key or the id/eventType/aggregateVersion headers');
  }
  if (!EVENT_ID.test(eventId)) throw new PoisonRecordError('missing-metadata', `record's id header ${JSON.stringify(eventId.slice(0, 64))} is not a UUID`);
  return { eventId, eventType, aggregateId, aggregateVersion: Number(aggregateVersion) };
}
