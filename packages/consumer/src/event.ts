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

// A positive integer without leading zeros or sign, within what a double holds exactly: Number()
// would also take '', ' ', '1e3', '0x1f' or '-1', and the writer's first version is 1.
const VERSION = /^[1-9]\d{0,14}$/;
// The outbox writes a UUID; a store keyed by it (the inbox) would fail on anything else on every
// retry, so such a record is refused here, once, as poison.
const EVENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The headers the relay sets that say what the event is; each must be there once, or repeated with one value. */
const METADATA_HEADERS = ['id', 'eventType', 'aggregateVersion'] as const;

export function eventMetadata(key: Buffer | null, headers: Record<string, HeaderValue> | undefined): EventMetadata {
  assertUnambiguous(headers);
  return metadataOf(key, headersOf(headers));
}

/**
 * Refuses a record whose metadata header is repeated with different values: which one the relay
 * meant cannot be known, and taking the first would apply an event another reader might read as
 * another.
 */
export function assertUnambiguous(headers: Record<string, HeaderValue> | undefined): void {
  for (const name of METADATA_HEADERS) {
    const value = headers?.[name];
    if (!Array.isArray(value)) continue;
    const distinct = new Set(value.map((entry) => entry?.toString()));
    if (distinct.size > 1) throw new PoisonRecordError('MISSING_METADATA', `record's ${name} header is repeated with ${distinct.size} different values`);
  }
}

/** eventMetadata for headers already read as text (headersOf). */
export function metadataOf(key: Buffer | null, text: Record<string, string>): EventMetadata {
  const { id: eventId, eventType, aggregateVersion } = text;
  const aggregateId = key?.toString();
  if (!eventId || !eventType || !aggregateId || !aggregateVersion) {
    throw new PoisonRecordError('MISSING_METADATA', 'record lacks its key or the id/eventType/aggregateVersion headers');
  }
  if (!VERSION.test(aggregateVersion)) throw new PoisonRecordError('MISSING_METADATA', `record's aggregateVersion header ${JSON.stringify(aggregateVersion.slice(0, 64))} is not a version (1 to 15 digits, no sign, no leading zero)`);
  if (!EVENT_ID.test(eventId)) throw new PoisonRecordError('MISSING_METADATA', `record's id header ${JSON.stringify(eventId.slice(0, 64))} is not a UUID`);
  return { eventId, eventType, aggregateId, aggregateVersion: Number(aggregateVersion) };
}
