import { type AggregateHandlers, type ConsumedEvent, type Handler, type VersionedOperation } from '@evergreen/consumer';
import type { UserAggregate, UserProfileUpdated, UserRegistered, UserSnapshot } from '@evergreen/schemas';
import { entryFields, userKeyspace, type UserCacheNamespace } from '@evergreen/user-read-model';

/** What every user state event carries; UserProfileUpdated and UserSnapshot also say when it last changed. */
type UserState = UserRegistered | UserProfileUpdated | UserSnapshot;

// Every state event carries the whole user, so each one alone rewrites the entry. The framework
// refused a payload whose userId or version disagrees with the record (the aggregate's state fields).
const upsertUser = (keyspace: UserCacheNamespace): Handler<VersionedOperation, UserState> => (event: ConsumedEvent<UserState>) => {
  const user = event.payload;
  // A registration was last changed when it happened.
  const updatedAt = 'updatedAt' in user ? user.updatedAt : user.registeredAt;
  const fields = entryFields({ id: user.userId, email: user.email, name: user.name, avatarUrl: user.avatarUrl, version: user.version, registeredAt: user.registeredAt, updatedAt, eventId: event.eventId });
  return { kind: 'upsert', key: keyspace.key(user.userId), version: user.version, fields };
};

// A tombstone: no payload; the deletion's version comes from its header.
const forgetUser =
  (keyspace: UserCacheNamespace): Handler<VersionedOperation, null> =>
  (event) => ({ kind: 'delete', key: keyspace.key(event.aggregateId), version: event.aggregateVersion, eventId: event.eventId });

/**
 * The user cache of one generation: one handler per user event type, writing versioned Redis
 * hashes (docs/cache.md) under that generation's keys.
 */
export function userCacheHandlersFor(keyspace: UserCacheNamespace): AggregateHandlers<UserAggregate, VersionedOperation> {
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
export const userCacheHandlers: AggregateHandlers<UserAggregate, VersionedOperation> = userCacheHandlersFor(userKeyspace());
