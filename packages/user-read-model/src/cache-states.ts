import { scanKeys, sendBatched, type RedisClient } from '@evergreen/platform';
import { activeUserKeyspace } from './generations.ts';
import { parseCachedUser, type UserEntry } from './user-entry.ts';

/** The content of a user a read model must show, one comparable string; both sides of a check compute it here. */
export type UserContent = Pick<UserEntry, 'email' | 'name' | 'avatarUrl' | 'registeredAt' | 'updatedAt'>;

export function userFingerprint(content: UserContent): string {
  return [content.email, content.name, content.avatarUrl ?? '', String(content.registeredAt), String(content.updatedAt)].join('\u0000');
}

/** What the cache holds for one user, in the form a consistency check compares. */
export interface CachedUserState {
  version: number;
  deleted: boolean;
  fingerprint?: string;
}

const FIELDS = ['version', 'deleted', 'id', 'email', 'name', 'avatarUrl', 'registeredAt', 'updatedAt', 'eventId'] as const;

/**
 * The cache's state of each user (absent users are left out), read with one pipelined round trip,
 * in the active generation as of now (a rebuild may have switched it since the last call).
 */
export async function readCachedUserStates(redis: RedisClient, ids: readonly string[]): Promise<Map<string, CachedUserState>> {
  const states = new Map<string, CachedUserState>();
  if (ids.length === 0) return states;
  const keyspace = await activeUserKeyspace(redis, { maxAgeMs: 0 });
  const results = await sendBatched(redis, ids.map((id) => (target) => target.hmget(keyspace.key(id), ...FIELDS)));
  results.forEach((values, index) => {
    const hash: Record<string, string> = {};
    (values as Array<string | null>).forEach((value, field) => {
      if (value !== null) hash[FIELDS[field] as string] = value;
    });
    const id = ids[index] as string;
    const cached = parseCachedUser(id, hash);
    if (cached.state === 'deleted') states.set(id, { version: cached.version, deleted: true });
    if (cached.state === 'present') states.set(id, { version: cached.entry.version, deleted: false, fingerprint: userFingerprint(cached.entry) });
  });
  return states;
}

/**
 * Every user id the active generation of the cache holds an entry (or deletion marker) for, in
 * batches, by SCAN: it never blocks Redis.
 */
export async function* scanCachedUserIds(redis: RedisClient, count = 2_000): AsyncGenerator<string[]> {
  const { keyPattern, keyPrefix } = await activeUserKeyspace(redis, { maxAgeMs: 0 });
  for await (const keys of scanKeys(redis, keyPattern, count)) yield keys.map((key) => key.slice(keyPrefix.length));
}
