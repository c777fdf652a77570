import type { RedisClient } from '@evergreen/platform';
import type pg from 'pg';
import { readCachedUser, type CachedUser, type UserEntry } from '@evergreen/user-read-model';
import { USER_COLUMNS, userFromRow, type User, type UserRow } from '@evergreen/user-aggregate';

/**
 * Where an answer came from: the cache as it was (hit), PostgreSQL because the cache had no entry
 * (miss), or PostgreSQL because the cache did not reach the version asked for in time (fallback).
 */
export type CacheOutcome = 'hit' | 'miss' | 'fallback';

export interface UserRead {
  outcome: CacheOutcome;
  /** Undefined: no such user, or deleted. */
  user: User | undefined;
  /** Why the cache could not be read, when it could not; the answer then came from PostgreSQL. */
  cacheError?: Error;
}

export interface ReadUserDeps {
  pool: pg.Pool;
  redis: RedisClient;
  /** How long a read with a minimum version waits for the cache before reading PostgreSQL. */
  readYourWritesTimeoutMs: number;
  /** How often the cache is asked again while waiting. */
  pollIntervalMs?: number;
}

const userFromEntry = (entry: UserEntry): User => ({
  id: entry.id,
  email: entry.email,
  name: entry.name,
  avatarUrl: entry.avatarUrl,
  version: entry.version,
  registeredAt: new Date(entry.registeredAt).toISOString(),
  updatedAt: new Date(entry.updatedAt).toISOString(),
});

/** The cache's answer, if it is at least `minVersion` fresh (any answer is, without one). */
function freshAnswer(cached: CachedUser, minVersion: number | undefined): UserRead | undefined {
  if (cached.state === 'absent') return undefined;
  const version = cached.state === 'present' ? cached.entry.version : cached.version;
  if (minVersion !== undefined && version < minVersion) return undefined;
  return { outcome: 'hit', user: cached.state === 'present' ? userFromEntry(cached.entry) : undefined };
}

async function userInDatabase(pool: pg.Pool, userId: string): Promise<User | undefined> {
  const { rows } = await pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [userId]);
  return rows[0] ? userFromRow(rows[0]) : undefined;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads a user from the cache the consumers keep. Without `minVersion`, a cached entry (or
 * deletion marker) is the answer and PostgreSQL is read only when the cache has nothing. With
 * `minVersion` (the version a write returned), the answer is at least that fresh: the cache is
 * asked until it reaches that version, for at most readYourWritesTimeoutMs, then PostgreSQL is.
 * A user already gone from PostgreSQL is answered at once: its deletion committed, whatever the
 * cache says yet.
 */
export async function readUser(deps: ReadUserDeps, userId: string, minVersion?: number): Promise<UserRead> {
  let cached: CachedUser;
  try {
    cached = await readCachedUser(deps.redis, userId);
  } catch (error) {
    // The cache is an optimisation: without it, PostgreSQL still answers, and says so.
    return { outcome: 'fallback', user: await userInDatabase(deps.pool, userId), cacheError: error as Error };
  }
  const first = freshAnswer(cached, minVersion);
  if (first) return first;
  if (minVersion === undefined) return { outcome: 'miss', user: await userInDatabase(deps.pool, userId) };

  // Not fresh enough. A deleted (or never created) user needs no wait: nothing will arrive.
  const stored = await userInDatabase(deps.pool, userId);
  if (!stored) return { outcome: 'fallback', user: undefined };
  // Every write commits before it answers its version, so PostgreSQL below minVersion means no
  // write ever returned it: no event will bring it either, and PostgreSQL's state is the newest.
  if (stored.version < minVersion) return { outcome: 'fallback', user: stored };

  const deadline = Date.now() + deps.readYourWritesTimeoutMs;
  while (Date.now() < deadline) {
    await pause(Math.min(deps.pollIntervalMs ?? 10, Math.max(0, deadline - Date.now())));
    // A cache that fails while waiting ends the wait: PostgreSQL answers below.
    const answer = await readCachedUser(deps.redis, userId).then((again) => freshAnswer(again, minVersion), () => undefined);
    if (answer) return answer;
  }
  // The consumers are behind (or stopped): PostgreSQL is the source of truth, read it again now.
  return { outcome: 'fallback', user: await userInDatabase(deps.pool, userId) };
}
