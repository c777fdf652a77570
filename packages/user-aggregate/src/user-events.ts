import { stableEventId, type OutboxEvent } from '@evergreen/outbox';
import { USER_AGGREGATE, type User } from './user.ts';

// Every event but the deletion carries the user's whole state (event-carried state transfer):
// the newest event alone rebuilds a cache entry, and a compacted topic is a complete snapshot.
const state = (user: User) => ({
  userId: user.id,
  version: user.version,
  email: user.email,
  name: user.name,
  avatarUrl: user.avatarUrl,
  registeredAt: Date.parse(user.registeredAt),
});

// Each builder's return type keeps its data's shape (satisfies, not a type annotation), so
// schemas/user/writer-check.ts has the compiler compare it with the payload type generated from the schema.

export function userRegistered(user: User) {
  return { aggregateType: USER_AGGREGATE, aggregateId: user.id, eventType: 'UserRegistered', aggregateVersion: user.version, data: state(user) } satisfies OutboxEvent;
}

export function userProfileUpdated(user: User) {
  return {
    aggregateType: USER_AGGREGATE,
    aggregateId: user.id,
    eventType: 'UserProfileUpdated',
    aggregateVersion: user.version,
    data: { ...state(user), updatedAt: Date.parse(user.updatedAt) },
  } satisfies OutboxEvent;
}

/** No payload: the relay makes it a tombstone for the user's key; the version travels as a header. */
export function userDeleted(userId: string, deletionVersion: number): OutboxEvent {
  return { aggregateType: USER_AGGREGATE, aggregateId: userId, eventType: 'UserDeleted', aggregateVersion: deletionVersion, data: null };
}

/** Why a user's state is re-emitted without a change (the UserSnapshot's `reason`). */
export type SnapshotReason = 'BACKFILL' | 'REPAIR';

/**
 * The user's current state, re-emitted. Its id is derived from the user and version, so emitting
 * the same state twice is one event to every inbox; its version is the row's, so a consumer that
 * already holds it ignores it.
 */
export function userSnapshot(user: User, reason: SnapshotReason) {
  return {
    aggregateType: USER_AGGREGATE,
    aggregateId: user.id,
    eventType: 'UserSnapshot',
    aggregateVersion: user.version,
    data: { ...state(user), updatedAt: Date.parse(user.updatedAt), reason },
    eventId: stableEventId(USER_AGGREGATE, user.id, user.version, 'snapshot'),
  } satisfies OutboxEvent;
}

/** A deletion re-emitted (by a repair) at the version consumers must fence on. */
export function userDeletionRestated(userId: string, deletionVersion: number): OutboxEvent {
  return { ...userDeleted(userId, deletionVersion), eventId: stableEventId(USER_AGGREGATE, userId, deletionVersion, 'deletion') };
}
