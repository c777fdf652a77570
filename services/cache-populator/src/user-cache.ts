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
const APPLY_IF_NEWER = `
local stored = redis.call('HGET', KEYS[1], 'version')
if stored and tonumber(stored) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1
`;

export type ApplyOutcome = 'applied' | 'stale';

export class UserCache {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('evergreenApplyIfNewer', { numberOfKeys: 1, lua: APPLY_IF_NEWER });
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

  async get(userId: string): Promise<UserEntry | undefined> {
    const hash = await this.redis.hgetall(userKey(userId));
    if (!hash.version) return undefined;
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
