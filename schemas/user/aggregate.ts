import { defineAggregate, payload, tombstone, uuidKey } from '@evergreen/event-catalog';
import type { UserProfileUpdated, UserRegistered, UserSnapshot } from './payloads.generated.ts';

/**
 * The user: topic `<prefix>.user`, keyed by user id. Every event but the deletion carries the
 * user's whole state; the deletion is a tombstone, so compaction forgets a deleted user.
 */
export const userAggregate = defineAggregate({
  type: 'user',
  events: {
    UserRegistered: payload<UserRegistered>(),
    UserProfileUpdated: payload<UserProfileUpdated>(),
    // The current state re-emitted without a change, by a backfill or a repair.
    UserSnapshot: payload<UserSnapshot>(),
    UserDeleted: tombstone(),
  },
  // Made by the writer with crypto.randomUUID().
  key: uuidKey,
  // Every payload carries the whole state, its id and version included.
  state: { idField: 'userId', versionField: 'version' },
});

export type UserAggregate = typeof userAggregate;
export type { UserProfileUpdated, UserRegistered, UserSnapshot, SnapshotReason } from './payloads.generated.ts';
