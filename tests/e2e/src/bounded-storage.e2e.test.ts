import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repairUsers, userCacheProjection, userSource, verify, type Projection, type Source } from '@evergreen/consistency';
import { drainInBatches, pollUntil } from '@evergreen/platform';
import { deleteOldUserDeletions } from '@evergreen/registration-api';
import { activeUserKeyspace, entryFields, readCachedUserStates } from '@evergreen/user-read-model';
import { startHarness, uniqueEmail, type Harness } from './support/harness.ts';

// Issue #21: every table that grew without bound has a rule that bounds it (docs/operations.md#bounded-storage).
describe('user_deletions is bounded by its retention', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('deletes the records past the retention and keeps the younger ones', async () => {
    const [old, young] = [randomUUID(), randomUUID()];
    await h.pool.query(
      `INSERT INTO user_deletions (id, version, deleted_at) VALUES ($1, 2, now() - interval '30 days 1 minute'), ($2, 2, now() - interval '29 days 23 hours')`,
      [old, young],
    );

    const { deleted } = await drainInBatches((limit) => deleteOldUserDeletions(h.pool, 30, limit), { batchSize: 2 });

    expect(deleted).toBeGreaterThanOrEqual(1);
    const { rows } = await h.pool.query<{ id: string }>('SELECT id FROM user_deletions WHERE id = ANY($1::uuid[])', [[old, young]]);
    expect(rows.map((row) => row.id)).toEqual([young]);
  });

  it('a deleted user whose record is gone and who comes back in the cache is still found (an orphan) and healed by repair', async () => {
    const registered = await h.app.inject({ method: 'POST', url: '/users', payload: { email: uniqueEmail('forgotten'), name: 'Forgotten Deletion' } });
    const user = registered.json<{ id: string; email: string; name: string; avatarUrl: string | null; registeredAt: string; updatedAt: string }>();
    expect((await h.app.inject({ method: 'DELETE', url: `/users/${user.id}` })).statusCode).toBe(204);
    const keyspace = await activeUserKeyspace(h.redis, { maxAgeMs: 0 });
    const cached = async () => (await readCachedUserStates(h.redis, [user.id])).get(user.id);
    await pollUntil(async () => ((await cached())?.deleted ? true : undefined), { description: `the deletion of ${user.id} in the cache`, timeoutMs: 30_000, intervalMs: 100 });

    // Its retention passed: the record goes. Then the registration comes back into the cache, as a
    // replay of an old dead letter would once the deletion marker expired.
    await h.pool.query('DELETE FROM user_deletions WHERE id = $1', [user.id]);
    await h.redis.del(keyspace.key(user.id));
    await h.redis.hset(
      keyspace.key(user.id),
      'version',
      '1',
      ...entryFields({ id: user.id, email: user.email, name: user.name, avatarUrl: user.avatarUrl, registeredAt: Date.parse(user.registeredAt), updatedAt: Date.parse(user.updatedAt), eventId: randomUUID(), version: 1 }),
    );

    // verify on this user alone: the users table and user_deletions know nothing of it any more.
    const users = userSource(h.pool);
    const source: Source = { read: (ids) => users.read(ids), async *stream() {} };
    const cache = userCacheProjection(h.redis);
    const projection: Projection = { ...cache, async *scan() { yield [user.id]; } };
    const [report] = await verify(source, [projection], { graceMs: 200 });

    expect(report?.counts).toMatchObject({ orphan: 1, resurrected: 0 });
    await repairUsers(h.pool, h.outbox, report?.drifted ?? []);
    const healed = await pollUntil(async () => {
      const state = await cached();
      return state?.deleted ? state : undefined;
    }, { description: `the repaired deletion of ${user.id} in the cache`, timeoutMs: 30_000, intervalMs: 100 });
    expect(healed.version).toBe(2);
  });
});
