import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { ADVISORY_LOCK_CLASSES, createLogger, drainInBatches, pollUntil, type DrainResult } from '@evergreen/platform';
import { DEFAULT_IDEMPOTENCY_TTL_HOURS, DEFAULT_SWEEP_INTERVAL_MS, IdempotencyStore, startApiRetention } from '@evergreen/registration-api';
import { startHarness, uniqueEmail, type Harness } from './support/harness.ts';

/**
 * The API's sustained rate of keyed writes (registrations with an Idempotency-Key), as measured by
 * `npm run bench:api -- 15 16 --keyed` (docs/api.md#how-fast): each leaves one key to sweep.
 */
const SUSTAINED_KEYED_WRITES_PER_SECOND = 1_130;

// Issue #11: writes with an Idempotency-Key, against the real PostgreSQL (locks, visibility,
// expiry) with the relay and the tap on its topic to count the events that really went out.
describe('Idempotency-Key', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  const post = (key: string, body: object) => h.app.inject({ method: 'POST', url: '/users', headers: { 'idempotency-key': key }, payload: body });
  const patch = (key: string | undefined, id: string, ifMatch: string, body: object) =>
    h.app.inject({ method: 'PATCH', url: `/users/${id}`, headers: { 'if-match': ifMatch, ...(key ? { 'idempotency-key': key } : {}) }, payload: body });
  const remove = (key: string | undefined, id: string) => h.app.inject({ method: 'DELETE', url: `/users/${id}`, headers: key ? { 'idempotency-key': key } : {} });

  /** What a client sees of an answer: status, the headers that matter, and the body, byte for byte. */
  const essence = (response: LightMyRequestResponse) => ({
    status: response.statusCode,
    location: response.headers.location,
    etag: response.headers.etag,
    contentType: response.headers['content-type'],
    body: response.body,
  });

  const keyRows = async (key: string) => Number((await h.pool.query<{ count: string }>('SELECT count(*) FROM idempotency_keys WHERE key = $1', [key])).rows[0]?.count);
  const usersWithEmail = async (email: string) => Number((await h.pool.query<{ count: string }>('SELECT count(*) FROM users WHERE lower(email) = lower($1)', [email])).rows[0]?.count);

  /**
   * The events relayed for a user, once its event at `version` has arrived. One user's events share
   * a partition in commit order, so when a later change is there, every earlier one is too: a
   * second write of the same request would show up before it.
   */
  async function relayedEvents(userId: string, version: number): Promise<string[]> {
    await pollUntil(() => h.tap.recordsFor(userId).some((record) => Number(record.headers.aggregateVersion) >= version), {
      description: `the event of ${userId} at version ${version}`,
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    return h.tap.recordsFor(userId).map((record) => `${record.headers.eventType}@${record.headers.aggregateVersion}`);
  }

  it('answers a retry of a registration with the first answer: one user, one event, and the replay counted', async () => {
    const key = randomUUID();
    const body = { email: uniqueEmail('idempotent'), name: 'Ada Lovelace', avatarUrl: 'https://example.com/ada.png' };

    const first = await post(key, body);
    const retry = await post(key, body);

    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(essence(retry)).toEqual(essence(first));
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await usersWithEmail(body.email)).toBe(1);

    const user = first.json<{ id: string }>();
    // A later change of the same user: only after it is relayed is "one event" a fact, not a race.
    expect((await patch(undefined, user.id, '"1"', { name: 'Ada King' })).statusCode).toBe(200);
    expect(await relayedEvents(user.id, 2)).toEqual(['UserRegistered@1', 'UserProfileUpdated@2']);

    const metrics = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/evergreen_api_idempotent_replays_total\{method="POST",route="\/users"\} [1-9]/);
  });

  it('refuses the same key on a different body with a 422, writing nothing', async () => {
    const key = randomUUID();
    const body = { email: uniqueEmail('first'), name: 'First' };
    const other = { email: uniqueEmail('second'), name: 'Second' };
    expect((await post(key, body)).statusCode).toBe(201);

    const reused = await post(key, other);

    expect(reused.statusCode).toBe(422);
    expect(reused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(reused.json()).toMatchObject({ type: 'https://evergreen.dev/problems/idempotency-key-reused', status: 422, errors: [{ field: 'idempotency-key' }] });
    expect(await usersWithEmail(other.email)).toBe(0);
  });

  it('writes once for 5 identical requests sent at once: the others replay or are told it is in flight', async () => {
    const key = randomUUID();
    const body = { email: uniqueEmail('burst'), name: 'Burst' };

    const responses = await Promise.all(Array.from({ length: 5 }, () => post(key, body)));

    const originals = responses.filter((response) => response.statusCode === 201 && response.headers['idempotent-replayed'] === undefined);
    expect(originals, JSON.stringify(responses.map((response) => [response.statusCode, response.headers['idempotent-replayed']]))).toHaveLength(1);
    const original = originals[0] as LightMyRequestResponse;
    for (const response of responses.filter((candidate) => candidate !== original)) {
      if (response.statusCode === 201) {
        expect(essence(response)).toEqual(essence(original));
        expect(response.headers['idempotent-replayed']).toBe('true');
      } else {
        expect(response.statusCode).toBe(409);
        expect(response.headers['retry-after']).toBe('1');
        expect(response.json()).toMatchObject({ type: 'https://evergreen.dev/problems/idempotency-key-in-flight' });
      }
    }
    expect(await usersWithEmail(body.email)).toBe(1);
    // Retried after the in-flight answers, as Retry-After says: the first answer.
    expect(essence(await post(key, body))).toEqual(essence(original));

    const user = original.json<{ id: string }>();
    expect((await patch(undefined, user.id, '"1"', { name: 'Burst Two' })).statusCode).toBe(200);
    expect(await relayedEvents(user.id, 2)).toEqual(['UserRegistered@1', 'UserProfileUpdated@2']);
  });

  it('answers 409 with Retry-After while the first request is still running, and replays it once answered', async () => {
    const user = (await h.app.inject({ method: 'POST', url: '/users', payload: { email: uniqueEmail('slow'), name: 'Slow' } })).json<{ id: string }>();
    const key = randomUUID();
    // Another transaction holds the user's row: the first PATCH waits on it, holding its key.
    const blocker = await h.pool.connect();
    let first: Promise<LightMyRequestResponse> | undefined;
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [user.id]);
      first = patch(key, user.id, '"1"', { name: 'Changed Once' });
      await pollUntil(
        async () =>
          (
            await h.pool.query(
              `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
                 AND classid = $1::bigint::oid AND objid = (hashtext($2)::bigint & 4294967295)::oid`,
              [ADVISORY_LOCK_CLASSES.idempotencyKey, key],
            )
          ).rowCount === 1,
        { description: 'the first PATCH to hold its key', timeoutMs: 10_000, intervalMs: 20 },
      );

      const during = await patch(key, user.id, '"1"', { name: 'Changed Once' });

      expect(during.statusCode).toBe(409);
      expect(during.headers['retry-after']).toBe('1');
      expect(during.json()).toMatchObject({ type: 'https://evergreen.dev/problems/idempotency-key-in-flight', status: 409 });
    } finally {
      await blocker.query('COMMIT').catch(() => undefined);
      blocker.release();
    }
    const answered = await first;
    expect(answered?.statusCode).toBe(200);
    expect(answered?.headers.etag).toBe('"2"');

    const after = await patch(key, user.id, '"1"', { name: 'Changed Once' });
    expect(essence(after)).toEqual(essence(answered as LightMyRequestResponse));
    expect(after.headers['idempotent-replayed']).toBe('true');
  });

  it('replays a PATCH and a DELETE, which run again would now be refused (412, 404)', async () => {
    const user = (await h.app.inject({ method: 'POST', url: '/users', payload: { email: uniqueEmail('change'), name: 'Change Me' } })).json<{ id: string }>();
    const patchKey = randomUUID();
    const deleteKey = randomUUID();

    const changed = await patch(patchKey, user.id, '"1"', { name: 'Changed' });
    const changedAgain = await patch(patchKey, user.id, '"1"', { name: 'Changed' });
    const deleted = await remove(deleteKey, user.id);
    const deletedAgain = await remove(deleteKey, user.id);

    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).toBe('"2"');
    expect(essence(changedAgain)).toEqual(essence(changed));
    expect(changedAgain.headers['idempotent-replayed']).toBe('true');
    expect(deleted.statusCode).toBe(204);
    expect(deleted.headers.etag).toBe('"3"');
    expect(essence(deletedAgain)).toEqual(essence(deleted));
    expect(deletedAgain.headers['idempotent-replayed']).toBe('true');
    // Run without the key, the same requests are refused: nothing was written twice.
    expect((await patch(undefined, user.id, '"1"', { name: 'Changed' })).statusCode).toBe(404);
    expect((await remove(undefined, user.id)).statusCode).toBe(404);
    const { rows } = await h.pool.query<{ version: string }>('SELECT version FROM user_deletions WHERE id = $1', [user.id]);
    expect(rows.map((row) => row.version)).toEqual(['3']);
    expect(await relayedEvents(user.id, 3)).toEqual(['UserRegistered@1', 'UserProfileUpdated@2', 'UserDeleted@3']);
  });

  it('keeps no refusal: a retry runs again, and once the email is free it registers, under the same key', async () => {
    const email = uniqueEmail('taken');
    const holder = (await h.app.inject({ method: 'POST', url: '/users', payload: { email, name: 'Holder' } })).json<{ id: string }>();
    const key = randomUUID();
    const body = { email: email.toUpperCase(), name: 'Latecomer' };

    const refused = await post(key, body);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ type: 'https://evergreen.dev/problems/email-taken' });
    expect(await keyRows(key)).toBe(0);
    expect((await remove(undefined, holder.id)).statusCode).toBe(204);

    const retry = await post(key, body);

    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(await usersWithEmail(email)).toBe(1);
    // The write is kept: from now on the key replays it.
    expect(essence(await post(key, body))).toEqual(essence(retry));
  });

  it('keeps no 404 or 412 under a key: they wrote nothing, and the answer is the same when run again', async () => {
    const user = (await h.app.inject({ method: 'POST', url: '/users', payload: { email: uniqueEmail('refusals'), name: 'Refusals' } })).json<{ id: string }>();
    const missingKey = randomUUID();
    const staleKey = randomUUID();
    const missing = randomUUID();

    const notFound = [await patch(missingKey, missing, '"1"', { name: 'Nobody' }), await patch(missingKey, missing, '"1"', { name: 'Nobody' })];
    expect((await patch(undefined, user.id, '"1"', { name: 'Moved On' })).statusCode).toBe(200);
    const stale = [await patch(staleKey, user.id, '"1"', { name: 'Too Late' }), await patch(staleKey, user.id, '"1"', { name: 'Too Late' })];

    expect(notFound.map((response) => response.statusCode)).toEqual([404, 404]);
    expect(stale.map((response) => response.statusCode)).toEqual([412, 412]);
    expect(stale.map((response) => response.headers.etag)).toEqual(['"2"', '"2"']);
    for (const response of [...notFound, ...stale]) expect(response.headers['idempotent-replayed']).toBeUndefined();
    expect(await keyRows(missingKey)).toBe(0);
    expect(await keyRows(staleKey)).toBe(0);
    // The key of a refusal is free: the corrected request runs under it.
    expect((await patch(staleKey, user.id, '"2"', { name: 'In Time' })).statusCode).toBe(200);
  });

  it('treats an expired key as new, and keeps a fresh answer for the configured time', async () => {
    const key = randomUUID();
    const first = await post(key, { email: uniqueEmail('before'), name: 'Before' });
    expect(first.statusCode).toBe(201);
    await h.pool.query("UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1", [key]);

    const other = { email: uniqueEmail('after'), name: 'After' };
    const second = await post(key, other);

    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.json<{ id: string }>().id).not.toBe(first.json<{ id: string }>().id);
    expect(essence(await post(key, other))).toEqual(essence(second));
    const { rows } = await h.pool.query<{ ttl_hours: number; path: string; method: string }>(
      'SELECT extract(epoch FROM expires_at - created_at) / 3600 AS ttl_hours, method, path FROM idempotency_keys WHERE key = $1',
      [key],
    );
    expect(rows).toEqual([{ ttl_hours: expect.anything(), method: 'POST', path: '/users' }]);
    expect(Number(rows[0]?.ttl_hours)).toBe(DEFAULT_IDEMPOTENCY_TTL_HOURS);
  });

  it('sweeps expired keys until none is left and keeps the live ones', async () => {
    const live = randomUUID();
    expect((await post(live, { email: uniqueEmail('live'), name: 'Live' })).statusCode).toBe(201);
    const expired = Array.from({ length: 5 }, () => `expired-${randomUUID()}`);
    await h.pool.query(
      `INSERT INTO idempotency_keys (key, fingerprint, method, path, status, headers, body, expires_at)
       SELECT key, 'x', 'POST', '/users', 201, '{}', NULL, now() - interval '1 minute' FROM unnest($1::text[]) AS key`,
      [expired],
    );

    // Other runs may have left expired keys of their own: at least ours go, two per statement.
    const { deleted, batches } = await drainInBatches((limit) => new IdempotencyStore(h.pool).deleteExpired(limit), { batchSize: 2 });

    expect(deleted).toBeGreaterThanOrEqual(expired.length);
    expect(batches).toBeGreaterThanOrEqual(3);
    const { rows } = await h.pool.query<{ key: string }>('SELECT key FROM idempotency_keys WHERE key = ANY($1)', [[live, ...expired]]);
    expect(rows.map((row) => row.key)).toEqual([live]);
  });

  it('keeps up with ten times the sustained write rate: what piles up in a sweep interval goes within that interval', async () => {
    const backlog = Math.ceil((10 * SUSTAINED_KEYED_WRITES_PER_SECOND * DEFAULT_SWEEP_INTERVAL_MS) / 1_000);
    const run = `sweep-${randomUUID()}`;
    // Rows as a write records them (its answer's headers and body), expired.
    await h.pool.query(
      `INSERT INTO idempotency_keys (key, fingerprint, method, path, status, headers, body, expires_at)
       SELECT $2 || '-' || n, md5(n::text), 'POST', '/users', 201,
              json_build_object('content-type', 'application/json; charset=utf-8', 'location', '/users/' || gen_random_uuid(), 'etag', '"1"'),
              json_build_object('id', gen_random_uuid(), 'email', 'sweep-' || n || '@example.com', 'name', 'Swept User', 'avatarUrl', null, 'version', 1),
              now() - interval '1 second'
         FROM generate_series(1, $1) AS n`,
      [backlog, run],
    );
    const registry = new Registry();
    const retention = startApiRetention({ pool: h.pool, keys: new IdempotencyStore(h.pool), registry, logger: createLogger('e2e-sweep', 'silent'), retention: { sweepIntervalMs: 3_600_000 } });

    let sweep: DrainResult | undefined;
    try {
      sweep = await retention.idempotencyKeys.runOnce();
    } finally {
      await retention.stop();
    }

    const { rows } = await h.pool.query<{ left: string }>("SELECT count(*) AS left FROM idempotency_keys WHERE key LIKE $1 || '-%'", [run]);
    expect(rows[0]?.left).toBe('0');
    expect(sweep?.deleted).toBeGreaterThanOrEqual(backlog);
    console.log(`[sweep] ${sweep?.deleted} expired keys in ${sweep?.seconds.toFixed(2)} s: ${Math.round((sweep?.deleted ?? 0) / (sweep?.seconds ?? 1))} rows/s`);
    expect((sweep?.seconds ?? Infinity) * 1_000).toBeLessThan(DEFAULT_SWEEP_INTERVAL_MS);
    expect(await registry.metrics()).toMatch(/evergreen_retention_deleted_rows_total\{table="idempotency_keys"\} [1-9]/);
  }, 120_000);
});
