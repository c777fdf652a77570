/**
 * One event type of an aggregate. `Payload` exists only for the compiler: it is the shape of the
 * event's Avro record as a reader sees it (generated from the .avsc), or null for a tombstone.
 */
export interface EventSpec<Payload> {
  /** No payload: the relay turns the event into a Kafka tombstone for the aggregate's key. */
  readonly tombstone: boolean;
  /** Never set; carries the payload type. */
  readonly payloadType?: Payload;
}

/** An event whose payload is an Avro record, schemas/<aggregate>/<EventType>.avsc. */
export const payload = <Payload extends object>(): EventSpec<Payload> => ({ tombstone: false });

/**
 * An event without a payload: a compacted topic forgets the aggregate once it is read. Its version
 * and id travel in headers only.
 */
export const tombstone = (): EventSpec<null> => ({ tombstone: true });

/**
 * What an aggregate id looks like: the record key of every event of the aggregate, and so the key
 * every store of a projection files it under. A record whose key does not match is refused before
 * any store sees it (a PostgreSQL uuid column would refuse it on every retry; a Redis key would
 * file one aggregate under two spellings).
 */
export interface KeyFormat {
  /** In words, for the dead letter's reason: "a UUID in canonical form". */
  readonly description: string;
  test(key: string): boolean;
}

// Canonical form only: PostgreSQL also takes upper case, braces and no hyphens, but a cache keyed
// by the text would then hold one aggregate under several keys.
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Ids made by crypto.randomUUID() or gen_random_uuid(), in their canonical text form. */
export const uuidKey: KeyFormat = { description: 'a UUID in canonical form (lower-case hex, hyphenated)', test: (key) => CANONICAL_UUID.test(key) };

// Printable text without control characters, within the length a Kafka key or Redis key should carry.
const PRINTABLE = /^[^\p{Cc}\p{Cs}]{1,255}$/u;

/** The default: any printable text of 1 to 255 characters. */
export const textKey: KeyFormat = { description: 'printable text of 1 to 255 characters', test: (key) => PRINTABLE.test(key) };

/** An aggregate type and every event type its topic carries. */
export interface AggregateDescriptor<Type extends string = string, Events extends Record<string, EventSpec<unknown>> = Record<string, EventSpec<unknown>>> {
  /** The outbox row's aggregatetype; names the topic `<prefix>.<type>`. */
  readonly type: Type;
  /** By event type: the Avro record's simple name, the outbox row's `type` and the eventType header. */
  readonly events: Events;
  /** What its ids look like (textKey when not declared). */
  readonly key: KeyFormat;
  /**
   * The payload fields that repeat the record's metadata, for an aggregate whose events carry its
   * state: every consumer refuses a payload whose id is not the record key, or whose version is not
   * the aggregateVersion header, before any handler sees it.
   */
  readonly state: StateFields | undefined;
}

/** The names of the payload fields holding the aggregate's id and version. */
export interface StateFields {
  readonly idField: string;
  readonly versionField: string;
}

export type AnyAggregate = AggregateDescriptor<string, Record<string, EventSpec<unknown>>>;

export function defineAggregate<const Type extends string, const Events extends Record<string, EventSpec<unknown>>>(descriptor: {
  type: Type;
  events: Events;
  key?: KeyFormat;
  state?: StateFields;
}): AggregateDescriptor<Type, Events> {
  if (!/^[a-z][a-z0-9-]*$/.test(descriptor.type)) throw new Error(`aggregate type "${descriptor.type}" must be lower-case letters, digits and -: it becomes a topic name`);
  if (Object.keys(descriptor.events).length === 0) throw new Error(`aggregate ${descriptor.type} declares no event types`);
  const invalid = Object.keys(descriptor.events).filter((eventType) => !EVENT_TYPE_NAME.test(eventType));
  if (invalid.length > 0) throw new Error(`aggregate ${descriptor.type}: event type(s) ${invalid.join(', ')} must be Avro record names (a letter, then letters and digits)`);
  return { type: descriptor.type, events: descriptor.events, key: descriptor.key ?? textKey, state: descriptor.state };
}

// An event type is the Avro record's simple name, and the key of a handler map.
const EVENT_TYPE_NAME = /^[A-Za-z][A-Za-z0-9]*$/;

/** The event type names of an aggregate, as a type. */
export type EventTypeOf<A extends AnyAggregate> = keyof A['events'] & string;

/** The payload a reader gets for one event type of an aggregate (null for a tombstone). */
export type PayloadOf<A extends AnyAggregate, E extends EventTypeOf<A>> = A['events'][E] extends EventSpec<infer Payload> ? Payload : never;

export const eventTypesOf = (aggregate: AnyAggregate): string[] => Object.keys(aggregate.events);

/**
 * Whether the aggregate declares this event type. An own property only: a header naming a member
 * every object has (constructor, toString, __proto__) is no event type.
 */
export const hasEventType = (aggregate: AnyAggregate, eventType: string): boolean => Object.hasOwn(aggregate.events, eventType);

export const payloadEventTypesOf = (aggregate: AnyAggregate): string[] => eventTypesOf(aggregate).filter((eventType) => !aggregate.events[eventType]?.tombstone);

export const isTombstoneOf = (aggregate: AnyAggregate, eventType: string): boolean => hasEventType(aggregate, eventType) && aggregate.events[eventType]?.tombstone === true;
