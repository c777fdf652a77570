import { join } from 'node:path';
import { catalogFromDirectory, type EventCatalog, type EventSchema, type TopicSchema } from '@evergreen/event-catalog';
import { findRepoRoot, type StackConfig } from '@evergreen/platform';
import { userAggregate } from '../user/aggregate.ts';
import { AGGREGATES } from './aggregates.ts';

// From the repository root rather than this file: a service bundled into one file (npm run build)
// reads the same schemas/ as one run from its sources.
export const SCHEMAS_DIR = join(findRepoRoot(), 'schemas');

/** This monorepo's events: every aggregate of AGGREGATES with its schemas from schemas/<type>/. */
export const eventCatalog: EventCatalog = catalogFromDirectory(SCHEMAS_DIR, AGGREGATES);

export const allEventSchemas = (): readonly EventSchema[] => eventCatalog.schemas();

export const eventSchema = (aggregateType: string, eventType: string): EventSchema => eventCatalog.schema(aggregateType, eventType);

export const topicSchema = (config: Pick<StackConfig, 'topics'>, aggregateType: string, eventType: string): TopicSchema => eventCatalog.topicSchema(config, aggregateType, eventType);

export const allTopicSchemas = (config: Pick<StackConfig, 'topics'>): TopicSchema[] => eventCatalog.topicSchemas(config);

/**
 * What a projection of the users alone declares to the consumer framework: the catalog, the user
 * aggregate and the topic it is read from (the stack's, or a test's scratch topic).
 */
export function readingUsers(topic: string) {
  return { catalog: eventCatalog, aggregates: [userAggregate], topics: { user: topic } } as const;
}
