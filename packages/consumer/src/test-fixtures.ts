import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEventCatalog, defineAggregate, payload, tombstone, uuidKey, type EventCatalog } from '@evergreen/event-catalog';
import { findRepoRoot } from '@evergreen/platform';
import { SAMPLE_USER } from './testing.ts';

// A catalog for the framework's own unit tests. The framework imports no application catalog; its
// tests borrow the repository's user schemas as sample data, through a descriptor of their own.

export const sampleUserAggregate = defineAggregate({
  type: 'user',
  events: { UserRegistered: payload<typeof SAMPLE_USER>(), UserProfileUpdated: payload<typeof SAMPLE_USER & { updatedAt: number }>(), UserDeleted: tombstone() },
  key: uuidKey,
  state: { idField: 'userId', versionField: 'version' },
});

export const sampleCatalog: EventCatalog = createEventCatalog([sampleUserAggregate], (aggregateType, eventType) => {
  const path = join(findRepoRoot(), 'schemas', aggregateType, `${eventType}.avsc`);
  return { definition: readFileSync(path, 'utf8'), path };
});
