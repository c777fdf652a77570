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

/** An aggregate type and every event type its topic carries. */
export interface AggregateDescriptor<Type extends string = string, Events extends Record<string, EventSpec<unknown>> = Record<string, EventSpec<unknown>>> {
  /** The outbox row's aggregatetype; names the topic `<prefix>.<type>`. */
  readonly type: Type;
  /** By event type: the Avro record's simple name, the outbox row's `type` and the eventType header. */
  readonly events: Events;
}

export type AnyAggregate = AggregateDescriptor<string, Record<string, EventSpec<unknown>>>;

export function defineAggregate<const Type extends string, const Events extends Record<string, EventSpec<unknown>>>(descriptor: {
  type: Type;
  events: Events;
}): AggregateDescriptor<Type, Events> {
  if (!/^[a-z][a-z0-9-]*$/.test(descriptor.type)) throw new Error(`aggregate type "${descriptor.type}" must be lower-case letters, digits and -: it becomes a topic name`);
  if (Object.keys(descriptor.events).length === 0) throw new Error(`aggregate ${descriptor.type} declares no event types`);
  return descriptor;
}

/** The event type names of an aggregate, as a type. */
export type EventTypeOf<A extends AnyAggregate> = keyof A['events'] & string;

/** The payload a reader gets for one event type of an aggregate (null for a tombstone). */
export type PayloadOf<A extends AnyAggregate, E extends EventTypeOf<A>> = A['events'][E] extends EventSpec<infer Payload> ? Payload : never;

export const eventTypesOf = (aggregate: AnyAggregate): string[] => Object.keys(aggregate.events);

export const payloadEventTypesOf = (aggregate: AnyAggregate): string[] => eventTypesOf(aggregate).filter((eventType) => !aggregate.events[eventType]?.tombstone);

export const isTombstoneOf = (aggregate: AnyAggregate, eventType: string): boolean => aggregate.events[eventType]?.tombstone === true;
