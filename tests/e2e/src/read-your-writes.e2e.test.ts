import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '@evergreen/platform';
import { userKey } from '@evergreen/user-read-model';
import { cacheEntryAt, startHarness, uniqueEmail, type Harness } from './support/harness.ts';

interface UserBody {
  id: string;
  name: string;
  version: number;
}

// Issue #5: a client that passes back the version a write returned reads at least that state,
// whether or not the consumers have caught up.
describe('read-your-writes through GET /users/:id?minVersion', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterEach(() => {
    // A failed test must not leave the populator paused for the next.
    h?.populator.consumer.resume([{ topic: h.topic }]);
  });
  afterAll(async () => {
    await h?.close();
  });

  const read = (id: string, minVersion?: number) => h.app.inject({ method: 'GET', url: `/users/${id}${minVersion === undefined ? '' : `?minVersion=${minVersion}`}` });
  const pausePopulator = () => h.populator.consumer.pause([{ topic: h.topic }]);
  const resumePopulator = () => h.populator.consumer.resume([{ topic: h.topic }]);

  async function registered(label: string): Promise<UserBody> {
    const response = await h.app.inject({ method: 'POST', url: '/users', payload: { email: uniqueEmail(label), name: `${label} v1` } });
    expect(response.statusCode).toBe(201);
    const user = response.json<UserBody>();
    await cacheEntryAt(h.redis, userKey(user.id), 1);
    return user;
  }

  it('returns the written state with the returned version while the consumer is paused, and the cache once it caught up', async () => {
    const { id } = await registered('ryw');
    pausePopulator();

    const changed = await h.app.inject({ method: 'PATCH', url: `/users/${id}`, headers: { 'if-match': '"1"' }, payload: { name: 'ryw v2' } });
    expect(changed.statusCode).toBe(200);
    const version = changed.json<UserBody>().version;
    expect(version).toBe(2);

    // Without a version: the cache as it is, one change behind.
    const plain = await read(id);
    expect(plain.headers['x-cache']).toBe('hit');
    expect(plain.json<UserBody>()).toMatchObject({ name: 'ryw v1', version: 1 });

    // With it: the written state, from PostgreSQL after the bounded wait.
    const started = performance.now();
    const fresh = await read(id, version);
    expect(fresh.statusCode).toBe(200);
    expect(fresh.headers['x-cache']).toBe('fallback');
    expect(fresh.json<UserBody>()).toMatchObject({ name: 'ryw v2', version: 2 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(h.config.api.readYourWritesTimeoutMs);

    resumePopulator();
    const caughtUp = await pollUntil(async () => {
      const response = await read(id, version);
      return response.headers['x-cache'] === 'hit' ? response : undefined;
    }, { description: `the cache to reach version ${version} of ${id}`, timeoutMs: 30_000, intervalMs: 100 });
    expect(caughtUp.json<UserBody>()).toMatchObject({ name: 'ryw v2', version: 2 });
  });

  it('answers a deletion at once to the client that passes its version, and to everyone once the tombstone is applied', async () => {
    const { id } = await registered('ryw-delete');
    pausePopulator();

    const deleted = await h.app.inject({ method: 'DELETE', url: `/users/${id}`, headers: { 'if-match': '"1"' } });
    expect(deleted.statusCode).toBe(204);
    const deletionVersion = Number(String(deleted.headers.etag).replaceAll('"', ''));
    expect(deletionVersion).toBe(2);

    const started = performance.now();
    const gone = await read(id, deletionVersion);
    expect(gone.statusCode).toBe(404);
    expect(gone.headers['x-cache']).toBe('fallback');
    // At once: nothing is waited for when PostgreSQL no longer has the user.
    expect(performance.now() - started).toBeLessThan(h.config.api.readYourWritesTimeoutMs);
    // Everyone else still sees the cached user until the tombstone is applied.
    expect((await read(id)).statusCode).toBe(200);

    resumePopulator();
    const applied = await pollUntil(async () => {
      const response = await read(id);
      return response.statusCode === 404 ? response : undefined;
    }, { description: `the deletion of ${id} to reach the cache`, timeoutMs: 30_000, intervalMs: 100 });
    expect(applied.headers['x-cache']).toBe('hit');
  });

  it('serves a user the cache has never seen from PostgreSQL as a miss', async () => {
    pausePopulator();
    const response = await h.app.inject({ method: 'POST', url: '/users', payload: { email: uniqueEmail('ryw-miss'), name: 'Not cached yet' } });
    const { id } = response.json<UserBody>();

    const miss = await read(id);

    expect(miss.statusCode).toBe(200);
    expect(miss.headers['x-cache']).toBe('miss');
    expect(miss.json<UserBody>()).toMatchObject({ id, name: 'Not cached yet', version: 1 });
  });

  it('reads every step of register → patch → delete right after it, with the version it returned', async () => {
    // No pause and no wait between a write and its read: each read races the relay and the populator.
    const created = await h.app.inject({ method: 'POST', url: '/users', payload: { email: uniqueEmail('ryw-chain'), name: 'chain v1' } });
    const { id, version: registeredAt } = created.json<UserBody>();
    const afterRegister = await read(id, registeredAt);
    expect(afterRegister.statusCode).toBe(200);
    expect(afterRegister.json<UserBody>()).toMatchObject({ name: 'chain v1', version: 1 });
    // The cache may or may not have caught up; either way the answer says where it came from.
    expect(['hit', 'fallback']).toContain(afterRegister.headers['x-cache']);

    const patched = await h.app.inject({ method: 'PATCH', url: `/users/${id}`, headers: { 'if-match': `"${registeredAt}"` }, payload: { name: 'chain v2' } });
    const afterPatch = await read(id, patched.json<UserBody>().version);
    expect(afterPatch.statusCode).toBe(200);
    expect(afterPatch.json<UserBody>()).toMatchObject({ name: 'chain v2', version: 2 });

    const deleted = await h.app.inject({ method: 'DELETE', url: `/users/${id}`, headers: { 'if-match': '"2"' } });
    expect(deleted.statusCode).toBe(204);
    const afterDelete = await read(id, Number(String(deleted.headers.etag).replaceAll('"', '')));
    expect(afterDelete.statusCode).toBe(404);
  });
});
