import type { RedisClient } from '@evergreen/platform';
import { activeUserKeyspace, userKeyspace } from './generations.ts';

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

/**
 * Key scheme: one Redis hash per user (docs/cache.md), under generation 1's prefix. A rebuilt
 * cache lives under another generation's (generations.ts): readers that must follow rebuilds use
 * activeUserKeyspace(redis).key(id), as readCachedUser does.
 */
export const USER_KEY_PREFIX = userKeyspace().keyPrefix;
export const userKey = (userId: string) => `${USER_KEY_PREFIX}${userId}`;

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

/** Reads a user's entry in the cache's active generation (as known for at most ACTIVE_GENERATION_MAX_AGE_MS). */
export async function readCachedUser(redis: RedisClient, userId: string): Promise<CachedUser> {
  const keyspace = await activeUserKeyspace(redis);
  return parseCachedUser(userId, await redis.hgetall(keyspace.key(userId)));
}
