import { handle, PoisonRecordError, type ConsumedEvent, type Handler, type VersionedOperation } from '@evergreen/consumer';
import { entryFields, userKeyspace, type UserCacheNamespace } from '@evergreen/user-read-model';

/** The fields of UserRegistered, UserProfileUpdated and UserSnapshot this projection reads (reader schemas: schemas/user/*.avsc). */
interface UserState {
  userId: string;
  version: number;
  email: string;
  name: string;
  avatarUrl: string | null;
  registeredAt: number;
  /** UserProfileUpdated and UserSnapshot have it; a registration was last changed when it happened. */
  updatedAt?: number;
}

// Every state event carries the whole user, so each one alone rewrites the entry.
const upsertUser = (keyspace: UserCacheNamespace) => handle<UserState, VersionedOperation>((event: ConsumedEvent<UserState>) => {
  const user = event.payload;
  if (user.userId !== event.aggregateId) throw new PoisonRecordError('rejected', `payload userId ${user.userId} differs from the record key ${event.aggregateId}`);
  if (user.version !== event.aggregateVersion) {
    throw new PoisonRecordError('rejected', `payload version ${user.version} differs from the aggregateVersion header ${event.aggregateVersion}`);
  }
  const fields = entryFields({ id: user.userId, email: user.email, name: user.name, avatarUrl: user.avatarUrl, version: user.version, registeredAt: user.registeredAt, updatedAt: user.updatedAt ?? user.registeredAt, eventId: event.eventId });
  return { kind: 'upsert', key: keyspace.key(user.userId), version: user.version, fields };
});

// A tombstone: no payload; the deletion's version comes from its header.
const forgetUser = (keyspace: UserCacheNamespace) =>
  handle<null, VersionedOperation>((event) => ({ kind: 'delete', key: keyspace.key(event.aggregateId), version: event.aggregateVersion, eventId: event.eventId }));

/**
 * The user cache of one generation: one handler per user event type, writing versioned Redis
 * hashes (docs/cache.md) under that generation's keys.
 */
export function userCacheHandlersFor(keyspace: UserCacheNamespace): Record<string, Handler<VersionedOperation>> {
  const upsert = upsertUser(keyspace);
  return {
    UserRegistered: upsert,
    UserProfileUpdated: upsert,
    // A re-emitted state (backfill, repair) is applied like any other: only if it is newer.
    UserSnapshot: upsert,
    UserDeleted: forgetUser(keyspace),
  };
}

/** The user cache's handlers for generation 1 (keys evergreen:user:<id>). */
export const userCacheHandlers: Record<string, Handler<VersionedOperation>> = userCacheHandlersFor(userKeyspace());
