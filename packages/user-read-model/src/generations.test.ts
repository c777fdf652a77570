import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  activeUserKeyspace,
  activityLogNamespace,
  generationGroupId,
  parseGeneration,
  projectionNamespace,
  readActiveUserGeneration,
  USER_CACHE_GENERATION_KEY,
  USER_CACHE_REBUILD_LOCK_KEY,
  userKeyspace,
} from './generations.ts';
import { USER_KEY_PREFIX, userKey } from './user-entry.ts';

const ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

/** Redis's MATCH: `*` is any run of characters; nothing else here is special. */
const matches = (pattern: string, key: string) => new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(key);

/** A Redis that answers GET from a map and counts the calls. */
function fakeRedis(values: Record<string, string> = {}) {
  const calls = { get: 0 };
  const redis = {
    async get(key: string) {
      calls.get += 1;
      return values[key] ?? null;
    },
  } as unknown as Redis;
  return { redis, calls, values };
}

describe('projectionNamespace', () => {
  it("names generation 1 exactly as everything was named before generations: no data to migrate", () => {
    expect(projectionNamespace('cache-populator', 1)).toMatchObject({ groupId: 'evergreen-cache-populator', keyPrefix: 'evergreen:user:', keyPattern: 'evergreen:user:*' });
    expect(userKeyspace().key(ID)).toBe(`evergreen:user:${ID}`);
    expect(userKeyspace().key(ID)).toBe(userKey(ID));
    expect(USER_KEY_PREFIX).toBe(userKeyspace().keyPrefix);
    expect(projectionNamespace('activity-log', 1)).toEqual({
      projection: 'activity-log',
      generation: 1,
      groupId: 'evergreen-activity-log',
      inboxName: 'activity-log',
      tables: { activity: 'user_activity', daily: 'user_activity_daily' },
    });
  });

  it('gives every later generation keys, tables, an inbox name and a group of its own', () => {
    const cache = userKeyspace(3);
    expect(cache).toMatchObject({ generation: 3, groupId: 'evergreen-cache-populator.g3', keyPrefix: 'evergreen:user.g3:', keyPattern: 'evergreen:user.g3:*' });
    expect(cache.key(ID)).toBe(`evergreen:user.g3:${ID}`);
    expect(activityLogNamespace(2)).toEqual({
      projection: 'activity-log',
      generation: 2,
      groupId: 'evergreen-activity-log.g2',
      inboxName: 'activity-log.g2',
      tables: { activity: 'user_activity_g2', daily: 'user_activity_daily_g2' },
    });
  });

  it('derives the groups from the base group the service is configured with', () => {
    expect(userKeyspace(1, 'e2e-populator').groupId).toBe('e2e-populator');
    expect(activityLogNamespace(4, 'e2e-activity').groupId).toBe('e2e-activity.g4');
    expect(generationGroupId('base', 12)).toBe('base.g12');
  });

  it("matches each generation's keys with its own pattern only, never another generation's, the pointer or the lock", () => {
    const generations = [1, 2, 3, 12, 21];
    for (const generation of generations) {
      const { keyPattern } = userKeyspace(generation);
      for (const other of generations) expect(matches(keyPattern, userKeyspace(other).key(ID))).toBe(other === generation);
      expect(matches(keyPattern, USER_CACHE_GENERATION_KEY)).toBe(false);
      expect(matches(keyPattern, USER_CACHE_REBUILD_LOCK_KEY)).toBe(false);
    }
  });

  it('refuses what is not a generation', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => userKeyspace(bad)).toThrow(RangeError);
      expect(() => activityLogNamespace(bad)).toThrow(RangeError);
    }
  });
});

describe('parseGeneration', () => {
  it('reads a stored pointer; an absent one is generation 1', () => {
    expect(parseGeneration(null)).toBe(1);
    expect(parseGeneration(undefined)).toBe(1);
    expect(parseGeneration('7')).toBe(7);
    expect(parseGeneration(3)).toBe(3);
  });

  it('refuses a malformed pointer rather than guess', () => {
    for (const bad of ['', '0', '-2', '2.5', 'two', ' 2']) expect(() => parseGeneration(bad)).toThrow(RangeError);
  });
});

describe('the active generation', () => {
  it('is read from the pointer key', async () => {
    expect(await readActiveUserGeneration(fakeRedis().redis)).toBe(1);
    expect(await readActiveUserGeneration(fakeRedis({ [USER_CACHE_GENERATION_KEY]: '4' }).redis)).toBe(4);
  });

  it('is read once per period per client, then again: a reader follows a switch within ACTIVE_GENERATION_MAX_AGE_MS', async () => {
    const { redis, calls, values } = fakeRedis({ [USER_CACHE_GENERATION_KEY]: '2' });
    let now = 1_000_000;
    const at = () => now;

    const [first, second] = await Promise.all([activeUserKeyspace(redis, { now: at }), activeUserKeyspace(redis, { now: at })]);
    expect(first.key(ID)).toBe(`evergreen:user.g2:${ID}`);
    expect(second).toBe(first);
    expect(calls.get).toBe(1);

    values[USER_CACHE_GENERATION_KEY] = '3';
    now += 999;
    expect((await activeUserKeyspace(redis, { now: at })).generation).toBe(2);
    now += 1;
    expect((await activeUserKeyspace(redis, { now: at })).generation).toBe(3);
    expect(calls.get).toBe(2);
    // maxAgeMs 0: now, whatever is remembered.
    values[USER_CACHE_GENERATION_KEY] = '4';
    expect((await activeUserKeyspace(redis, { now: at, maxAgeMs: 0 })).generation).toBe(4);
  });

  it('is not remembered when reading it failed', async () => {
    let fail = true;
    const redis = {
      async get() {
        if (fail) throw new Error('connection refused');
        return '5';
      },
    } as unknown as Redis;

    await expect(activeUserKeyspace(redis)).rejects.toThrow('connection refused');
    fail = false;
    expect((await activeUserKeyspace(redis)).generation).toBe(5);
  });
});
