export { createOutbox, outboxEvent, outboxMigrations } from './outbox.ts';
export type { Outbox, OutboxEvent, OutboxOptions, PublishedEvent, Queryable, TypedEventFields } from './outbox.ts';
export { cleanupOutbox } from './cleanup.ts';
export { stableEventId } from './stable-event-id.ts';
export type { CleanupOptions } from './cleanup.ts';
