import type { Redis } from 'ioredis';

/** The cache entry of one user: the profile fields and the aggregate version they are at. */
export interface UserEntry {
  id: string;
  email: string;
  name: string;
  avatarUrl: string | null;
  version: number;
  registeredAt: number;
  /** The event that last wrote the entry. */
  eventId: string;
}

/** Key scheme: one Redis hash per user. Documented in docs/cache.md. */
export const userKey = (userId: string) => `evergreen:user:${userId}`;

// Writes the entry only if it is newer than what is stored, atomically: duplicates, redeliveries
// and replays then leave the cache exactly as the database says, never moved backwards.
// A newer state also clears a deletion marker (see FORGET_IF_NEWER).
const APPLY_IF_NEWER = `
local stored = redis.call('HGET', KEYS[1], 'version')
if stored and tonumber(stored) >= tonumber(ARGV[1]) then return 0 end
redis.call('HDEL', KEYS[1], 'deleted')
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PERSIST', KEYS[1])
return 1
`;

// A deletion replaces the entry with a marker holding only the deletion's version: an older event
// replayed later then finds a newer version and cannot resurrect the user. The marker expires
// after ARGV[2] seconds, longer than the topic keeps the events it could be replayed against.
const FORGET_IF_NEWER = `
local stored = redis.call('HGET', KEYS[1], 'version')
if stored and tonumber(stored) >= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'deleted', '1', 'eventId', ARGV[3])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
`;

/** Seven days: Kafka's default retention, and longer than a compacted topic's delete.retention.ms default. */
export const DEFAULT_TOMBSTONE_TTL_SECONDS = 7 * 24 * 60 * 60;

export type ApplyOutcome = 'applied' | 'stale';

export class UserCache {
  constructor(
    private readonly redis: Redis,
    private readonly tombstoneTtlSeconds = DEFAULT_TOMBSTONE_TTL_SECONDS,
  ) {
    redis.defineCommand('evergreenApplyIfNewer', { numberOfKeys: 1, lua: APPLY_IF_NEWER });
    redis.defineCommand('evergreenForgetIfNewer', { numberOfKeys: 1, lua: FORGET_IF_NEWER });
  }

  /** Forgets a deleted user, unless the cache already holds a newer version. */
  async forget(userId: string, version: number, eventId: string): Promise<ApplyOutcome> {
    const command = this.redis as Redis & { evergreenForgetIfNewer(key: string, version: string, ttl: string, eventId: string): Promise<number> };
    const written = await command.evergreenForgetIfNewer(userKey(userId), String(version), String(this.tombstoneTtlSeconds), eventId);
    return written === 1 ? 'applied' : 'stale';
  }

  async apply(entry: UserEntry): Promise<ApplyOutcome> {
    const fields = [
      'version', String(entry.version),
      'id', entry.id,
      'email', entry.email,
      'name', entry.name,
      'avatarUrl', entry.avatarUrl ?? '',
      'registeredAt', String(entry.registeredAt),
      'eventId', entry.eventId,
    ];
    const command = this.redis as Redis & { evergreenApplyIfNewer(key: string, version: string, ...fields: string[]): Promise<number> };
    const written = await command.evergreenApplyIfNewer(userKey(entry.id), String(entry.version), ...fields);
    return written === 1 ? 'applied' : 'stale';
  }

  /** The user's entry; undefined when the cache has none, or only a deletion marker. */
  async get(userId: string): Promise<UserEntry | undefined> {
    const hash = await this.redis.hgetall(userKey(userId));
    if (!hash.version || hash.deleted === '1') return undefined;
    return {
      id: hash.id ?? userId,
      email: hash.email ?? '',
      name: hash.name ?? '',
      avatarUrl: hash.avatarUrl ? hash.avatarUrl : null,
      version: Number(hash.version),
      registeredAt: Number(hash.registeredAt),
      eventId: hash.eventId ?? '',
    };
  }
}
