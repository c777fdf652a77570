export { defineAggregate, eventTypesOf, hasEventType, isTombstoneOf, payload, payloadEventTypesOf, textKey, tombstone, uuidKey } from './aggregate.ts';
export type { AggregateDescriptor, AnyAggregate, EventSpec, EventTypeOf, KeyFormat, PayloadOf, StateFields } from './aggregate.ts';
export { catalogFromDirectory, createEventCatalog, subjectFor } from './catalog.ts';
export type { EventCatalog, EventSchema, SchemaSource, TopicSchema } from './catalog.ts';
export { deadLetterTopic, mainTopicOf, retryTopic, topicsOf, topicsOfAggregate } from './topics.ts';
export type { AggregateTopics, TopicsOf } from './topics.ts';
