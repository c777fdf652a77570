import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userKey } from '@evergreen/user-read-model';
import { pollUntil } from '@evergreen/platform';
import { cacheEntryAt, startHarness, uniqueEmail, type Harness } from './support/harness.ts';

// Issue #3: the user's whole lifecycle flows through the outbox, one record per change, in order.
describe('a user registered, updated and deleted', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('yields exactly three records for its key, the last a tombstone, and the cache follows each', async () => {
    const registered = await h.app.inject({ method: 'POST', url: '/users', payload: { email: uniqueEmail('life'), name: 'Grace', avatarUrl: 'https://example.com/g.png' } });
    expect(registered.statusCode).toBe(201);
    const { id } = registered.json<{ id: string }>();
    await cacheEntryAt(h.redis, userKey(id), 1);

    const updated = await h.app.inject({ method: 'PATCH', url: `/users/${id}`, headers: { 'if-match': '"1"' }, payload: { name: 'Grace Hopper', avatarUrl: null } });
    expect(updated.statusCode).toBe(200);
    expect(updated.headers.etag).toBe('"2"');
    expect(updated.json()).toMatchObject({ id, name: 'Grace Hopper', avatarUrl: null, version: 2 });
    expect(await cacheEntryAt(h.redis, userKey(id), 2)).toMatchObject({ name: 'Grace Hopper', avatarUrl: '', version: '2' });

    const deleted = await h.app.inject({ method: 'DELETE', url: `/users/${id}`, headers: { 'if-match': '"2"' } });
    expect(deleted.statusCode).toBe(204);
    expect(deleted.headers.etag).toBe('"3"');

    const records = await h.tap.waitForRecords(id, 3);
    expect(records.map((record) => [record.headers.eventType, record.headers.aggregateVersion])).toEqual([
      ['UserRegistered', '1'],
      ['UserProfileUpdated', '2'],
      ['UserDeleted', '3'],
    ]);
    expect(records[2]?.value).toBeNull();
    expect(records[0]?.value).not.toBeNull();
    expect(records[1]?.value).not.toBeNull();

    // The entry becomes a deletion marker: no profile left, and version 3 so nothing older can resurrect it.
    const marker = await pollUntil(async () => {
      const entry = await h.redis.hgetall(userKey(id));
      return entry.deleted === '1' ? entry : undefined;
    }, { description: `the deletion of ${id} in the cache`, timeoutMs: 30_000, intervalMs: 100 });
    expect(marker).toEqual({ version: '3', deleted: '1', eventId: records[2]?.headers.id });
    expect(await h.redis.ttl(userKey(id))).toBeGreaterThan(0);
    const { rows } = await h.pool.query('SELECT 1 FROM users WHERE id = $1', [id]);
    expect(rows).toHaveLength(0);
  });

  it('refuses a change based on a stale version with 412, and writes nothing', async () => {
    const registered = await h.app.inject({ method: 'POST', url: '/users', payload: { email: uniqueEmail('stale'), name: 'Before' } });
    const { id } = registered.json<{ id: string }>();
    expect((await h.app.inject({ method: 'PATCH', url: `/users/${id}`, headers: { 'if-match': '"1"' }, payload: { name: 'Second' } })).statusCode).toBe(200);

    const stale = await h.app.inject({ method: 'PATCH', url: `/users/${id}`, headers: { 'if-match': '"1"' }, payload: { name: 'Lost update' } });
    expect(stale.statusCode).toBe(412);
    expect(stale.headers.etag).toBe('"2"');
    expect(stale.headers['content-type']).toContain('application/problem+json');

    const missing = await h.app.inject({ method: 'PATCH', url: `/users/${id}`, payload: { name: 'No precondition' } });
    expect(missing.statusCode).toBe(428);

    const { rows } = await h.pool.query<{ name: string; version: string }>('SELECT name, version FROM users WHERE id = $1', [id]);
    expect(rows).toEqual([{ name: 'Second', version: '2' }]);
    await h.tap.waitForRecords(id, 2);
    const marker = await h.app.inject({ method: 'PATCH', url: `/users/${id}`, headers: { 'if-match': '"2"' }, payload: { name: 'Third' } });
    expect(marker.statusCode).toBe(200);
    const records = await h.tap.waitForRecords(id, 3);
    expect(records.map((record) => record.headers.aggregateVersion)).toEqual(['1', '2', '3']);
  });

  it('answers 404 for a user that does not exist, for a change and for a deletion', async () => {
    const nobody = '00000000-0000-4000-8000-000000000000';
    expect((await h.app.inject({ method: 'PATCH', url: `/users/${nobody}`, headers: { 'if-match': '"1"' }, payload: { name: 'x' } })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'DELETE', url: `/users/${nobody}` })).statusCode).toBe(404);
  });
});
