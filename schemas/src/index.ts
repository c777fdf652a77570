export { allEventSchemas, eventSchema, isTombstoneEvent, subjectFor } from './catalog.ts';
export type { EventSchema } from './catalog.ts';
export { topicSchema, allTopicSchemas } from './registered.ts';
export type { TopicSchema } from './registered.ts';
export { registerAllSchemas, compatibilityFromEnv } from './register-all.ts';
export type { RegisteredSchema } from './register-all.ts';
