import { randomUUID } from 'node:crypto';
import type { AvroSerde } from '@evergreen/avro-serde';
import type { StackConfig } from '@evergreen/platform';
import { topicSchema } from './catalog.ts';

// Sample and synthetic events for tests and benchmarks in any workspace, so each does not invent its own.

/** One synthetic user event: UserRegistered at version 1, UserProfileUpdated after, UserDeleted as a tombstone. */
export interface SyntheticEvent {
  userId: string;
  version: number;
  eventType: 'UserRegistered' | 'UserProfileUpdated' | 'UserDeleted';
  name?: string;
}

/** A record as the relay produces it (structurally a kafkajs Message). */
export interface SyntheticRecord {
  key: string;
  value: Buffer | null;
  headers: { id: string; eventType: string; aggregateVersion: string };
  timestamp: string;
}

/**
 * The record the relay would have produced for `event` on the user topic of `topics`: Avro in the
 * Confluent wire format against the registered schema (a tombstone for UserDeleted), keyed by the
 * user id, with the relay's headers. For tests and benchmarks that feed consumers without a writer.
 */
export async function syntheticUserRecord(serde: AvroSerde, topics: Pick<StackConfig, 'topics'>, event: SyntheticEvent): Promise<SyntheticRecord> {
  const headers = { id: randomUUID(), eventType: event.eventType, aggregateVersion: String(event.version) };
  const timestamp = String(Date.now());
  if (event.eventType === 'UserDeleted') return { key: event.userId, value: null, headers, timestamp };
  const data = {
    userId: event.userId,
    version: event.version,
    email: `${event.userId}@example.com`,
    name: event.name ?? `v${event.version}`,
    avatarUrl: null,
    registeredAt: 1_700_000_000_000,
    ...(event.eventType === 'UserProfileUpdated' ? { updatedAt: Date.now() } : {}),
  };
  return { key: event.userId, value: await serde.encode(topicSchema(topics, 'user', event.eventType), data), headers, timestamp };
}

/** Versions 1..n of one user: registered, then updated; the last one a deletion when asked. */
export function lifecycleOf(userId: string, versions: number, deleted = false): SyntheticEvent[] {
  const events: SyntheticEvent[] = Array.from({ length: versions }, (_, index) => ({
    userId,
    version: index + 1,
    eventType: index === 0 ? 'UserRegistered' : 'UserProfileUpdated',
  }));
  if (deleted) events.push({ userId, version: versions + 1, eventType: 'UserDeleted' });
  return events;
}
