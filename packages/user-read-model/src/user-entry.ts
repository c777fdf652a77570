import type { Redis } from 'ioredis';

/** The cache entry of one user: the profile fields and the aggregate version they are at. */
export interface UserEntry {
  id: string;
  email: string;
  name: string;
  avatarUrl: string | null;
  version: number;
  /** Epoch milliseconds. */
  registeredAt: number;
  /** Epoch milliseconds of the last change (the registration, for a user never changed). */
  updatedAt: number;
  /** The event that last wrote the entry. */
  eventId: string;
}

/** What the cache knows about one user. A deletion leaves a marker with the deletion's version. */
export type CachedUser =
  | { state: 'present'; entry: UserEntry }
  | { state: 'deleted'; version: number }
  | { state: 'absent' };

/** Key scheme: one Redis hash per user (docs/cache.md). */
export const userKey = (userId: string) => `evergreen:user:${userId}`;

/** The hash fields of an entry, as HSET arguments; `version` is also what the versioned write compares. */
export function entryFields(entry: UserEntry): string[] {
  return [
    'id', entry.id,
    'email', entry.email,
    'name', entry.name,
    'avatarUrl', entry.avatarUrl ?? '',
    'registeredAt', String(entry.registeredAt),
    'updatedAt', String(entry.updatedAt),
    'eventId', entry.eventId,
  ];
}

/** Reads a user's hash back; tolerant of fields a newer writer added. */
export function parseCachedUser(userId: string, hash: Record<string, string>): CachedUser {
  if (!hash.version) return { state: 'absent' };
  const version = Number(hash.version);
  if (hash.deleted === '1') return { state: 'deleted', version };
  return {
    state: 'present',
    entry: {
      id: hash.id ?? userId,
      email: hash.email ?? '',
      name: hash.name ?? '',
      avatarUrl: hash.avatarUrl ? hash.avatarUrl : null,
      version,
      registeredAt: Number(hash.registeredAt),
      // Entries written before updatedAt existed fall back to the registration time.
      updatedAt: Number(hash.updatedAt ?? hash.registeredAt),
      eventId: hash.eventId ?? '',
    },
  };
}

export async function readCachedUser(redis: Redis, userId: string): Promise<CachedUser> {
  return parseCachedUser(userId, await redis.hgetall(userKey(userId)));
}
