import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { findRepoRoot } from '@evergreen/platform';

// From the repository root rather than this file: a service bundled into one file (npm run build)
// reads the same schemas/ as one run from its sources.
const SCHEMAS_DIR = join(findRepoRoot(), 'schemas');

/** One event type: its aggregate, its Avro schema as written in schemas/, and the parsed type. */
export interface EventSchema {
  aggregateType: string;
  /** The Avro record's simple name, which is also the outbox row's `type` and the eventType header. */
  eventType: string;
  /** The record's full name (namespace + name), used in the registry subject. */
  fullName: string;
  /** The .avsc text, exactly as registered. */
  definition: string;
  /** The .avsc file. */
  path: string;
  type: avro.Type;
}

/** Every event with a payload this monorepo publishes, by aggregate type. Adding a schema file means adding it here. */
const CATALOG: Record<string, string[]> = {
  user: ['UserRegistered', 'UserProfileUpdated', 'UserSnapshot'],
};

/**
 * Events without a payload: the relay turns them into Kafka tombstones for the aggregate's key,
 * so a compacted topic forgets the aggregate. Their version and id travel in headers only.
 */
const TOMBSTONES: Record<string, string[]> = {
  user: ['UserDeleted'],
};

export function isTombstoneEvent(aggregateType: string, eventType: string): boolean {
  return TOMBSTONES[aggregateType]?.includes(eventType) ?? false;
}

/** The same, for a consumer that knows the event type from the record's header but not the aggregate type. Event type names are unique across aggregates. */
export function isTombstoneEventType(eventType: string): boolean {
  return Object.values(TOMBSTONES).some((eventTypes) => eventTypes.includes(eventType));
}

function loadSchema(aggregateType: string, eventType: string): EventSchema {
  const path = join(SCHEMAS_DIR, aggregateType, `${eventType}.avsc`);
  const definition = readFileSync(path, 'utf8');
  const type = avro.Type.forSchema(JSON.parse(definition) as avro.Schema);
  const fullName = type.name;
  if (!fullName || fullName.split('.').pop() !== eventType) {
    throw new Error(`${path}: the record is named ${fullName ?? '(nothing)'}, expected ${eventType}`);
  }
  return { aggregateType, eventType, fullName, definition, path, type };
}

let cache: EventSchema[] | undefined;

export function allEventSchemas(): EventSchema[] {
  cache ??= Object.entries(CATALOG).flatMap(([aggregateType, eventTypes]) =>
    eventTypes.map((eventType) => loadSchema(aggregateType, eventType)),
  );
  return cache;
}

export function eventSchema(aggregateType: string, eventType: string): EventSchema {
  const schema = allEventSchemas().find((candidate) => candidate.aggregateType === aggregateType && candidate.eventType === eventType);
  if (!schema) throw new Error(`no schema for event ${aggregateType}/${eventType} in schemas/`);
  return schema;
}

/**
 * The registry subject of an event type on a topic: topic + record name
 * (Confluent's TopicRecordNameStrategy), because one topic carries every event type of its
 * aggregate, and each type evolves under its own subject.
 */
export function subjectFor(topic: string, schema: Pick<EventSchema, 'fullName'>): string {
  return `${topic}-${schema.fullName}`;
}
