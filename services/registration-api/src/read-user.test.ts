import { entryFields, userKey, userKeyspace, type UserEntry } from '@evergreen/user-read-model';
import { describe, expect, it } from 'vitest';
import { CREATED_AT, setup } from './test-support.ts';
import type { UserRow } from '@evergreen/user-aggregate';

const USER_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const UPDATED_AT = new Date('2025-03-02T08:00:00.000Z');

const entryAt = (version: number, name = `Ada v${version}`): UserEntry => ({
  id: USER_ID,
  email: 'ada@example.com',
  name,
  avatarUrl: null,
  version,
  registeredAt: CREATED_AT.getTime(),
  updatedAt: UPDATED_AT.getTime(),
  eventId: 'b9a0b3f4-7d1a-4a55-9d64-0a1b2c3d4e5f',
});

/** The hash the populator writes for an entry. */
function hashOf(entry: UserEntry): Record<string, string> {
  const hash: Record<string, string> = { version: String(entry.version) };
  const fields = entryFields(entry);
  for (let i = 0; i < fields.length; i += 2) hash[fields[i] as string] = fields[i + 1] as string;
  return hash;
}

const rowAt = (version: number, name = `Ada v${version}`): UserRow => ({
  id: USER_ID,
  email: 'ada@example.com',
  name,
  avatar_url: null,
  version: String(version),
  created_at: CREATED_AT,
  updated_at: UPDATED_AT,
});

const userAt = (version: number, name = `Ada v${version}`) => ({
  id: USER_ID,
  email: 'ada@example.com',
  name,
  avatarUrl: null,
  version,
  registeredAt: CREATED_AT.toISOString(),
  updatedAt: UPDATED_AT.toISOString(),
});

const cached = (...entries: Array<[string, Record<string, string>]>) => new Map(entries);
const databaseReads = (log: string[]) => log.filter((line) => line.startsWith('pool: SELECT')).length;

describe('GET /users/:id', () => {
  it('reads an id written in capitals from the cache entry of its canonical spelling', async () => {
    const { app, db } = await setup({ hashes: cached([userKey(USER_ID), hashOf(entryAt(3))]) });

    const response = await app.inject({ method: 'GET', url: `/users/${USER_ID.toUpperCase()}` });

    expect(response.statusCode).toBe(200);
    expect(response.headers['x-cache']).toBe('hit');
    expect(db.log).toEqual([]);
  });

  describe('without minVersion', () => {
    it('answers the cached entry as x-cache: hit, with its version as ETag, without reading PostgreSQL', async () => {
      const { app, db } = await setup({ hashes: cached([userKey(USER_ID), hashOf(entryAt(3))]), storedUsers: { [USER_ID]: rowAt(4) } });

      const response = await app.inject({ method: 'GET', url: `/users/${USER_ID}` });

      expect(response.statusCode).toBe(200);
      expect(response.headers['x-cache']).toBe('hit');
      expect(response.headers.etag).toBe('"3"');
      expect(response.json()).toEqual(userAt(3));
      expect(databaseReads(db.log)).toBe(0);
    });

    it("reads the cache's active generation: after a rebuild, its keys, not generation 1's", async () => {
      const { app, db } = await setup({
        generation: 2,
        hashes: cached([userKey(USER_ID), hashOf(entryAt(1, 'stale generation 1'))], [userKeyspace(2).key(USER_ID), hashOf(entryAt(3))]),
        storedUsers: { [USER_ID]: rowAt(3) },
      });

      const response = await app.inject({ method: 'GET', url: `/users/${USER_ID}` });

      expect(response.headers['x-cache']).toBe('hit');
      expect(response.json()).toEqual(userAt(3));
      expect(databaseReads(db.log)).toBe(0);
    });

    it('reads PostgreSQL on a cache miss and says so, without writing the cache', async () => {
      const { app, cache } = await setup({ storedUsers: { [USER_ID]: rowAt(2) } });

      const response = await app.inject({ method: 'GET', url: `/users/${USER_ID}` });

      expect(response.statusCode).toBe(200);
      expect(response.headers['x-cache']).toBe('miss');
      expect(response.json()).toEqual(userAt(2));
      expect(cache.hashes.size).toBe(0);
    });

    it('is a 404 problem for a user neither the cache nor PostgreSQL knows', async () => {
      const { app } = await setup();

      const response = await app.inject({ method: 'GET', url: `/users/${USER_ID}` });

      expect(response.statusCode).toBe(404);
      expect(response.headers['x-cache']).toBe('miss');
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ type: 'https://evergreen.dev/problems/user-not-found', status: 404 });
    });

    it('answers from PostgreSQL, as a fallback, when the cache cannot be read', async () => {
      const { app } = await setup({ readError: new Error('Connection is closed.'), storedUsers: { [USER_ID]: rowAt(3) } });

      const response = await app.inject({ method: 'GET', url: `/users/${USER_ID}?minVersion=2` });
      const plain = await app.inject({ method: 'GET', url: `/users/${USER_ID}` });

      expect(response.statusCode).toBe(200);
      expect(response.headers['x-cache']).toBe('fallback');
      expect(response.json()).toEqual(userAt(3));
      expect(plain.statusCode).toBe(200);
      expect(plain.headers['x-cache']).toBe('fallback');
    });

    it('is a 404 once the deletion marker is in the cache, without reading PostgreSQL', async () => {
      const { app, db } = await setup({ hashes: cached([userKey(USER_ID), { version: '4', deleted: '1', eventId: 'x' }]), storedUsers: { [USER_ID]: rowAt(3) } });

      const response = await app.inject({ method: 'GET', url: `/users/${USER_ID}` });

      expect(response.statusCode).toBe(404);
      expect(response.headers['x-cache']).toBe('hit');
      expect(databaseReads(db.log)).toBe(0);
    });
  });

  describe('with minVersion (read-your-writes)', () => {
    it('answers from the cache when it is already that fresh', async () => {
      const { app, db } = await setup({ hashes: cached([userKey(USER_ID), hashOf(entryAt(3))]) });

      const response = await app.inject({ method: 'GET', url: `/users/${USER_ID}?minVersion=3` });

      expect(response.headers['x-cache']).toBe('hit');
      expect(response.json()).toEqual(userAt(3));
      expect(databaseReads(db.log)).toBe(0);
    });

    it('waits for the cache to catch up, then answers from it', async () => {
      const hashes = cached([userKey(USER_ID), hashOf(entryAt(2))]);
      const { app, cache } = await setup({ hashes, storedUsers: { [USER_ID]: rowAt(3) }, readYourWritesTimeoutMs: 5_000 });
      // The populator applies version 3 once the API has asked a few times.
      const catchUp = setInterval(() => {
        if (cache.reads >= 3) hashes.set(userKey(USER_ID), hashOf(entryAt(3)));
      }, 1);

      const response = await app.inject({ method: 'GET', url: `/users/${USER_ID}?minVersion=3` });
      clearInterval(catchUp);

      expect(response.statusCode).toBe(200);
      expect(response.headers['x-cache']).toBe('hit');
      expect(response.json()).toEqual(userAt(3));
    });

    it('falls back to PostgreSQL when the cache does not reach the version in time, and says so', async () => {
      const { app, cache } = await setup({ hashes: cached([userKey(USER_ID), hashOf(entryAt(2))]), storedUsers: { [USER_ID]: rowAt(3, 'Ada, renamed') }, readYourWritesTimeoutMs: 50 });

      const response = await app.inject({ method: 'GET', url: `/users/${USER_ID}?minVersion=3` });

      expect(response.statusCode).toBe(200);
      expect(response.headers['x-cache']).toBe('fallback');
      expect(response.headers.etag).toBe('"3"');
      expect(response.json()).toEqual(userAt(3, 'Ada, renamed'));
      // It did wait: the cache was asked again before giving up on it.
      expect(cache.reads).toBeGreaterThan(2);
    });

    it('answers 404 at once for the version of a deletion the cache has not applied yet', async () => {
      const { app, cache } = await setup({ hashes: cached([userKey(USER_ID), hashOf(entryAt(2))]), readYourWritesTimeoutMs: 60_000 });

      const response = await app.inject({ method: 'GET', url: `/users/${USER_ID}?minVersion=3` });

      expect(response.statusCode).toBe(404);
      expect(response.headers['x-cache']).toBe('fallback');
      expect(cache.reads).toBe(1);
    });

    it('answers PostgreSQL at once for a version no write returned, instead of waiting for it', async () => {
      const { app, cache } = await setup({ hashes: cached([userKey(USER_ID), hashOf(entryAt(2))]), storedUsers: { [USER_ID]: rowAt(3) }, readYourWritesTimeoutMs: 60_000 });

      const response = await app.inject({ method: 'GET', url: `/users/${USER_ID}?minVersion=9` });

      expect(response.statusCode).toBe(200);
      expect(response.headers['x-cache']).toBe('fallback');
      expect(response.json()).toEqual(userAt(3));
      expect(cache.reads).toBe(1);
    });

    it('answers 404 from the cache once the deletion marker reached that version', async () => {
      const { app, db } = await setup({ hashes: cached([userKey(USER_ID), { version: '3', deleted: '1', eventId: 'x' }]) });

      const response = await app.inject({ method: 'GET', url: `/users/${USER_ID}?minVersion=3` });

      expect(response.statusCode).toBe(404);
      expect(response.headers['x-cache']).toBe('hit');
      expect(databaseReads(db.log)).toBe(0);
    });

    it.each(['0', '-1', '1.5', 'abc', '', '1e3', '9999999999999999'])('refuses minVersion=%j with a 400 naming it', async (minVersion) => {
      const { app, cache } = await setup();

      const response = await app.inject({ method: 'GET', url: `/users/${USER_ID}?minVersion=${encodeURIComponent(minVersion)}` });

      expect(response.statusCode).toBe(400);
      expect(response.json().errors).toEqual([expect.objectContaining({ field: 'minVersion' })]);
      expect(cache.reads).toBe(0);
    });

    it('refuses an unknown query parameter and an id that is not a UUID', async () => {
      const { app } = await setup();

      const unknown = await app.inject({ method: 'GET', url: `/users/${USER_ID}?version=3` });
      const badId = await app.inject({ method: 'GET', url: '/users/42' });

      expect(unknown.statusCode).toBe(400);
      expect(unknown.json().errors).toEqual([{ field: 'version', message: 'is not an allowed field' }]);
      expect(badId.statusCode).toBe(400);
      expect(badId.json().errors).toEqual([expect.objectContaining({ field: 'id' })]);
    });
  });
});
