import { handle, PoisonRecordError, type ConsumedEvent, type Handler, type VersionedOperation } from '@evergreen/consumer';
import { entryFields, userKey } from '@evergreen/user-read-model';

/** The fields of UserRegistered and UserProfileUpdated this projection reads (reader schemas: schemas/user/*.avsc). */
interface UserState {
  userId: string;
  version: number;
  email: string;
  name: string;
  avatarUrl: string | null;
  registeredAt: number;
  /** Only UserProfileUpdated has it; a registration was last changed when it happened. */
  updatedAt?: number;
}

// Every state event carries the whole user, so each one alone rewrites the entry.
const upsertUser = handle<UserState, VersionedOperation>((event: ConsumedEvent<UserState>) => {
  const user = event.payload;
  if (user.userId !== event.aggregateId) throw new PoisonRecordError('rejected', `payload userId ${user.userId} differs from the record key ${event.aggregateId}`);
  if (user.version !== event.aggregateVersion) {
    throw new PoisonRecordError('rejected', `payload version ${user.version} differs from the aggregateVersion header ${event.aggregateVersion}`);
  }
  const fields = entryFields({ id: user.userId, email: user.email, name: user.name, avatarUrl: user.avatarUrl, version: user.version, registeredAt: user.registeredAt, updatedAt: user.updatedAt ?? user.registeredAt, eventId: event.eventId });
  return { kind: 'upsert', key: userKey(user.userId), version: user.version, fields };
});

// A tombstone: no payload; the deletion's version comes from its header.
const forgetUser = handle<null, VersionedOperation>((event) => ({ kind: 'delete', key: userKey(event.aggregateId), version: event.aggregateVersion, eventId: event.eventId }));

/** The user cache: one handler per user event type, writing versioned Redis hashes (docs/cache.md). */
export const userCacheHandlers: Record<string, Handler<VersionedOperation>> = {
  UserRegistered: upsertUser,
  UserProfileUpdated: upsertUser,
  UserDeleted: forgetUser,
};
