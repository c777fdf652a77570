import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { aggregateTopic, type StackConfig } from '@evergreen/platform';
import { isTombstoneOf, payloadEventTypesOf, type AnyAggregate } from './aggregate.ts';

/** One event type with a payload: its aggregate, its Avro schema as written, and the parsed type. */
export interface EventSchema {
  aggregateType: string;
  /** The Avro record's simple name, which is also the outbox row's `type` and the eventType header. */
  eventType: string;
  /** The record's full name (namespace + name), used in the registry subject. */
  fullName: string;
  /** The .avsc text, exactly as registered. */
  definition: string;
  /** Where the definition came from (a file, for messages). */
  path: string;
  type: avro.Type;
}

/** An event schema placed on its topic: what the serde needs to encode or register it. */
export interface TopicSchema extends EventSchema {
  topic: string;
  subject: string;
}

/** Where a catalog reads an event type's Avro schema from. */
export type SchemaSource = (aggregateType: string, eventType: string) => { definition: string; path: string };

/**
 * The events an application publishes and reads, given to the outbox and to every consumer: the
 * framework knows no aggregate of its own.
 */
export interface EventCatalog {
  readonly aggregates: readonly AnyAggregate[];
  aggregate(aggregateType: string): AnyAggregate;
  /** Every event schema with a payload, of every aggregate. */
  schemas(): readonly EventSchema[];
  /** The schemas of these aggregates only (a consumer's reader schemas). */
  schemasOf(aggregateTypes: readonly string[]): readonly EventSchema[];
  schema(aggregateType: string, eventType: string): EventSchema;
  /** The schema placed on the stack's topic of its aggregate, with its registry subject. */
  topicSchema(config: Pick<StackConfig, 'topics'>, aggregateType: string, eventType: string): TopicSchema;
  topicSchemas(config: Pick<StackConfig, 'topics'>): TopicSchema[];
  isTombstone(aggregateType: string, eventType: string): boolean;
}

/**
 * The registry subject of an event type on a topic: topic + record name
 * (Confluent's TopicRecordNameStrategy), because one topic carries every event type of its
 * aggregate, and each type evolves under its own subject.
 */
export function subjectFor(topic: string, schema: Pick<EventSchema, 'fullName'>): string {
  return `${topic}-${schema.fullName}`;
}

function parse(aggregateType: string, eventType: string, source: SchemaSource): EventSchema {
  const { definition, path } = source(aggregateType, eventType);
  const type = avro.Type.forSchema(JSON.parse(definition) as avro.Schema);
  const fullName = type.name;
  if (!fullName || fullName.split('.').pop() !== eventType) throw new Error(`${path}: the record is named ${fullName ?? '(nothing)'}, expected ${eventType}`);
  return { aggregateType, eventType, fullName, definition, path, type };
}

/** Refuses what would make records ambiguous: two aggregates of one type, or one event type name in two aggregates. */
function assertDistinct(aggregates: readonly AnyAggregate[]): void {
  const types = new Set<string>();
  const owners = new Map<string, string>();
  for (const aggregate of aggregates) {
    if (types.has(aggregate.type)) throw new Error(`aggregate ${aggregate.type} is in the catalog twice`);
    types.add(aggregate.type);
    for (const eventType of Object.keys(aggregate.events)) {
      const owner = owners.get(eventType);
      // Event types are unique across aggregates: a dead letter or a log line names one by its type alone.
      if (owner) throw new Error(`event type ${eventType} is declared by both ${owner} and ${aggregate.type}`);
      owners.set(eventType, aggregate.type);
    }
  }
}

/** A catalog of these aggregates whose schemas are read from `source`, once, when first needed. */
export function createEventCatalog(aggregates: readonly AnyAggregate[], source: SchemaSource): EventCatalog {
  assertDistinct(aggregates);
  let loaded: EventSchema[] | undefined;
  const schemas = () => {
    loaded ??= aggregates.flatMap((aggregate) => payloadEventTypesOf(aggregate).map((eventType) => parse(aggregate.type, eventType, source)));
    return loaded;
  };
  const aggregate = (aggregateType: string): AnyAggregate => {
    const found = aggregates.find((candidate) => candidate.type === aggregateType);
    if (!found) throw new Error(`no aggregate ${aggregateType} in the catalog (known: ${aggregates.map((known) => known.type).join(', ')})`);
    return found;
  };
  const schema = (aggregateType: string, eventType: string): EventSchema => {
    const found = schemas().find((candidate) => candidate.aggregateType === aggregateType && candidate.eventType === eventType);
    if (!found) throw new Error(`no schema for event ${aggregateType}/${eventType} in the catalog`);
    return found;
  };
  const onTopic = (config: Pick<StackConfig, 'topics'>, found: EventSchema): TopicSchema => {
    const topic = aggregateTopic(config, found.aggregateType);
    return { ...found, topic, subject: subjectFor(topic, found) };
  };
  return {
    aggregates,
    aggregate,
    schemas,
    schemasOf: (aggregateTypes) => schemas().filter((candidate) => aggregateTypes.includes(candidate.aggregateType)),
    schema,
    topicSchema: (config, aggregateType, eventType) => onTopic(config, schema(aggregateType, eventType)),
    topicSchemas: (config) => schemas().map((found) => onTopic(config, found)),
    isTombstone: (aggregateType, eventType) => isTombstoneOf(aggregate(aggregateType), eventType),
  };
}

/**
 * A catalog whose schemas are files `<dir>/<aggregate type>/<EventType>.avsc`. A schema file no
 * descriptor names is an error rather than an event nobody registers or reads.
 */
export function catalogFromDirectory(dir: string, aggregates: readonly AnyAggregate[]): EventCatalog {
  for (const aggregate of aggregates) {
    const declared = new Set(payloadEventTypesOf(aggregate));
    const files = readdirSync(join(dir, aggregate.type)).filter((file) => file.endsWith('.avsc'));
    const undeclared = files.filter((file) => !declared.has(file.slice(0, -'.avsc'.length)));
    if (undeclared.length > 0) throw new Error(`${join(dir, aggregate.type)}: ${undeclared.join(', ')} not declared in the ${aggregate.type} aggregate's descriptor`);
  }
  return createEventCatalog(aggregates, (aggregateType, eventType) => {
    const path = join(dir, aggregateType, `${eventType}.avsc`);
    return { definition: readFileSync(path, 'utf8'), path };
  });
}
