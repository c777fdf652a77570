import { randomUUID } from 'node:crypto';
import type { IHeaders, Message } from 'kafkajs';
import { frame } from '@evergreen/avro-serde';

/**
 * What a corpus needs to know of one aggregate's topic to make its poison: a valid record (the
 * relay's key, value and headers) to spoil, and the names to spoil it with.
 */
export interface CorpusAggregate {
  type: 'user' | 'order';
  /** The relay's record of the aggregate's first event (UserRegistered, OrderPlaced) for `id` at `version`. */
  valid(id: string, version?: number): Promise<Message>;
  /** Another payload event type of the aggregate (UserProfileUpdated, OrderCancelled). */
  otherEventType: string;
  /** Its tombstone event type, if it has one (UserDeleted). */
  tombstoneEventType?: string;
  /** A valid record of another aggregate, whose payload does not belong on this topic. */
  foreign(id: string): Promise<Message>;
  /** The largest record the topic takes (its max.message.bytes): a value near it fits, its dead letter does not. */
  maxRecordBytes: number;
}

/** One way a record can be malformed, and the dead-letter reasons a consumer may give it. */
export interface PoisonKind {
  name: string;
  /** Each consumer group must dead-letter it with one of these (more than one where groups know more or less of it). */
  reasons: readonly string[];
  build(aggregate: CorpusAggregate): Promise<Message>;
  /** Kinds that only make sense for an aggregate with a tombstone event. */
  needsTombstone?: boolean;
}

const headersOf = (message: Message): Record<string, string> => message.headers as Record<string, string>;

/** The valid record with its headers changed: `undefined` removes one. */
async function withHeaders(aggregate: CorpusAggregate, change: Record<string, string | Buffer | Array<string | Buffer> | undefined>, id = randomUUID()): Promise<Message> {
  const valid = await aggregate.valid(id);
  const headers: IHeaders = { ...headersOf(valid) };
  for (const [name, value] of Object.entries(change)) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  return { ...valid, headers };
}

async function withKey(aggregate: CorpusAggregate, key: Buffer | string | null): Promise<Message> {
  return { ...(await aggregate.valid(randomUUID())), key };
}

async function withValue(aggregate: CorpusAggregate, value: (valid: Buffer) => Buffer | null): Promise<Message> {
  const valid = await aggregate.valid(randomUUID());
  return { ...valid, value: value(valid.value as Buffer) };
}


/**
 * Every kind of malformed record the consumers must dead-letter rather than stop on: headers
 * missing, garbled or duplicated; event types unknown or spelled like members of every object;
 * keys no store takes; versions that are not versions; bytes that are not the wire format or not
 * the schema's; payloads that contradict their record; tombstones where none belongs; a value too
 * large for its dead letter. Generated from a valid record of the aggregate each time.
 */
export const POISON_KINDS: readonly PoisonKind[] = [
  { name: 'no headers at all', reasons: ['missing-metadata'], build: async (aggregate) => ({ ...(await aggregate.valid(randomUUID())), headers: {} }) },
  { name: 'no id header', reasons: ['missing-metadata'], build: (aggregate) => withHeaders(aggregate, { id: undefined }) },
  { name: 'no eventType header', reasons: ['missing-metadata'], build: (aggregate) => withHeaders(aggregate, { eventType: undefined }) },
  { name: 'no aggregateVersion header', reasons: ['missing-metadata'], build: (aggregate) => withHeaders(aggregate, { aggregateVersion: undefined }) },
  { name: 'an id header that is not a UUID', reasons: ['missing-metadata'], build: (aggregate) => withHeaders(aggregate, { id: 'event-42' }) },
  { name: 'an eventType header of bytes that are not UTF-8', reasons: ['unknown-event-type'], build: (aggregate) => withHeaders(aggregate, { eventType: Buffer.from([0xff, 0xfe, 0x00, 0xc3]) }) },
  {
    name: 'an eventType header repeated with two event types',
    reasons: ['missing-metadata'],
    build: async (aggregate) => {
      const valid = await aggregate.valid(randomUUID());
      return withHeaders(aggregate, { eventType: [headersOf(valid).eventType as string, aggregate.otherEventType] });
    },
  },
  { name: 'an aggregateVersion header repeated with two versions', reasons: ['missing-metadata'], build: (aggregate) => withHeaders(aggregate, { aggregateVersion: ['1', '2'] }) },
  ...['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'].map(
    (member): PoisonKind => ({ name: `the event type "${member}", a member of every object`, reasons: ['unknown-event-type'], build: (aggregate) => withHeaders(aggregate, { eventType: member }) }),
  ),
  { name: 'an event type the aggregate does not declare', reasons: ['unknown-event-type'], build: (aggregate) => withHeaders(aggregate, { eventType: 'Renamed' }) },
  { name: 'a key that is not a UUID', reasons: ['invalid-key'], build: (aggregate) => withKey(aggregate, 'customer-42') },
  { name: 'a key that is a UUID in upper case, another spelling of an id', reasons: ['invalid-key'], build: (aggregate) => withKey(aggregate, randomUUID().toUpperCase()) },
  { name: 'a key with a control character', reasons: ['invalid-key'], build: (aggregate) => withKey(aggregate, `${randomUUID()}\u0000`) },
  // No key at all is not here: a compacted topic refuses such a record (INVALID_RECORD) before any consumer sees it.
  { name: 'an empty key', reasons: ['missing-metadata'], build: (aggregate) => withKey(aggregate, Buffer.alloc(0)) },
  { name: 'a negative version', reasons: ['missing-metadata'], build: (aggregate) => withHeaders(aggregate, { aggregateVersion: '-1' }) },
  { name: 'a version that is not a number', reasons: ['missing-metadata'], build: (aggregate) => withHeaders(aggregate, { aggregateVersion: 'three' }) },
  { name: 'a version larger than a double holds exactly', reasons: ['missing-metadata'], build: (aggregate) => withHeaders(aggregate, { aggregateVersion: '99999999999999999999' }) },
  { name: 'version zero', reasons: ['missing-metadata'], build: (aggregate) => withHeaders(aggregate, { aggregateVersion: '0' }) },
  { name: 'a value without the magic byte', reasons: ['bad-magic-byte'], build: (aggregate) => withValue(aggregate, (value) => Buffer.concat([Buffer.from([1]), value.subarray(1)])) },
  { name: 'a value shorter than the wire header', reasons: ['truncated'], build: (aggregate) => withValue(aggregate, () => Buffer.from([0, 0, 0])) },
  { name: 'a schema id the registry does not know', reasons: ['unknown-schema'], build: (aggregate) => withValue(aggregate, (value) => frame(987_654_321, value.subarray(5))) },
  { name: 'Avro cut short', reasons: ['undecodable'], build: (aggregate) => withValue(aggregate, (value) => value.subarray(0, 12)) },
  { name: 'Avro with trailing bytes', reasons: ['undecodable'], build: (aggregate) => withValue(aggregate, (value) => Buffer.concat([value, Buffer.from([7, 7, 7])])) },
  {
    name: "a payload whose id is not the record's key",
    reasons: ['payload-mismatch'],
    build: async (aggregate) => ({ ...(await aggregate.valid(randomUUID())), key: randomUUID() }),
  },
  {
    name: 'a payload whose version is not the aggregateVersion header',
    reasons: ['payload-mismatch'],
    build: async (aggregate) => {
      const valid = await aggregate.valid(randomUUID(), 3);
      return { ...valid, headers: { ...headersOf(valid), aggregateVersion: '4' } };
    },
  },
  {
    name: 'a payload of another event type than its header names',
    reasons: ['payload-mismatch'],
    build: (aggregate) => withHeaders(aggregate, { eventType: aggregate.otherEventType }),
  },
  {
    name: "a payload of another aggregate's event",
    // A consumer with no reader for the foreign event cannot decode it; one that has one finds it is not this event.
    reasons: ['incompatible-schema', 'payload-mismatch'],
    build: async (aggregate) => {
      const id = randomUUID();
      const [valid, foreign] = await Promise.all([aggregate.valid(id), aggregate.foreign(id)]);
      return { ...valid, value: foreign.value };
    },
  },
  { name: 'no value (a tombstone) for an event type that has a payload', reasons: ['payload-mismatch'], build: (aggregate) => withValue(aggregate, () => null) },
  {
    name: 'a tombstone event type with a payload',
    reasons: ['payload-mismatch'],
    needsTombstone: true,
    build: (aggregate) => withHeaders(aggregate, { eventType: aggregate.tombstoneEventType }),
  },
  {
    name: 'a bare Kafka tombstone for a key never seen, without headers',
    reasons: ['missing-metadata'],
    build: async () => ({ key: randomUUID(), value: null, headers: {} }),
  },
  {
    name: 'a value so large that its dead letter does not fit the topic',
    reasons: ['bad-magic-byte'],
    build: async (aggregate) => {
      const valid = await aggregate.valid(randomUUID());
      // Fits with room for the record's own overhead; the dead letter's headers push it past the limit.
      const size = aggregate.maxRecordBytes - 400;
      const value = Buffer.alloc(size, 0x5a);
      return { ...valid, value };
    },
  },
];

/** The kinds that apply to an aggregate. */
export const poisonKindsFor = (aggregate: CorpusAggregate): PoisonKind[] => POISON_KINDS.filter((kind) => !kind.needsTombstone || aggregate.tombstoneEventType !== undefined);

