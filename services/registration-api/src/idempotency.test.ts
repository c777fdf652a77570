import { describe, expect, it } from 'vitest';
import type { UserRow } from '@evergreen/user-aggregate';
import type { ApiMetrics } from './http/metrics.ts';
import { ALICE, CREATED_AT, setup, unique, type SetupOptions } from './test-support.ts';

// Idempotency-Key on the fakes: which statements a keyed write runs, on which client, and what it
// answers for each state of the key. What PostgreSQL does with them (locks, visibility, expiry) is
// covered against the real database by tests/e2e/src/idempotency.e2e.test.ts.

const USER_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const KEY = '8e03978e-40d5-43e8-bc93-6894a57f9324';

interface KeyRow {
  fingerprint: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** The idempotency_keys table and its advisory lock, as the fakes' transaction client sees them. */
function fakeKeys(options: { lockHeldElsewhere?: boolean; user?: UserRow } = {}) {
  const rows = new Map<string, KeyRow>();
  const respond = (sql: string, params: unknown[]) => {
    if (sql.includes('pg_try_advisory_xact_lock')) return { rows: [{ locked: options.lockHeldElsewhere !== true }] };
    if (sql.includes('FROM idempotency_keys WHERE key')) {
      const row = rows.get(String(params[0]));
      return { rows: row ? [row] : [] };
    }
    if (sql.trim().startsWith('INSERT INTO idempotency_keys')) {
      const [key, fingerprint, , , status, headers, body] = params;
      // pg hands json columns back parsed.
      rows.set(String(key), { fingerprint: String(fingerprint), status: Number(status), headers: JSON.parse(String(headers)) as Record<string, string>, body: body === null ? null : (JSON.parse(String(body)) as unknown) });
      return { rows: [], rowCount: 1 };
    }
    if (options.user && /^SELECT .* FROM users WHERE id = \$1 FOR UPDATE$/s.test(sql.trim())) return { rows: [options.user] };
    if (options.user && sql.trim().startsWith('UPDATE users')) return { rows: [{ ...options.user, name: String(params[1]), version: String(Number(options.user.version) + 1) }] };
    return undefined;
  };
  return { rows, respond };
}

const storedUser = (version: number): UserRow =>
  ({ id: USER_ID, email: ALICE.email, name: ALICE.name, avatar_url: ALICE.avatarUrl, version: String(version), created_at: CREATED_AT, updated_at: CREATED_AT }) as unknown as UserRow;

async function keyedSetup(keys: ReturnType<typeof fakeKeys>, options: SetupOptions = {}) {
  const context = await setup({ ...options, respond: keys.respond });
  const post = (payload: object, key = KEY) => context.app.inject({ method: 'POST', url: '/users', headers: { 'idempotency-key': key }, payload });
  return { ...context, post };
}

const replayCount = async (metrics: ApiMetrics) => (await metrics.idempotentReplays.get()).values.reduce((sum, entry) => sum + entry.value, 0);

describe('Idempotency-Key validation', () => {
  it.each([
    ['empty', ''],
    ['over 255 characters', 'k'.repeat(256)],
    ['with a space', 'two words'],
    ['with a non-ASCII letter', 'caf\u00e9'],
  ])('refuses a key %s with a 400 naming idempotency-key, before any transaction', async (_label, key) => {
    const { app, db } = await setup();

    for (const request of [
      { method: 'POST' as const, url: '/users', payload: ALICE },
      { method: 'PATCH' as const, url: `/users/${USER_ID}`, headers: { 'if-match': '"1"' }, payload: { name: 'Ada' } },
      { method: 'DELETE' as const, url: `/users/${USER_ID}` },
    ]) {
      const response = await app.inject({ ...request, headers: { ...request.headers, 'idempotency-key': key } });

      expect(response.statusCode, `${request.method} with key ${JSON.stringify(key)}`).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ type: 'https://evergreen.dev/problems/validation', errors: [expect.objectContaining({ field: 'idempotency-key' })] });
    }
    expect(db.log).toEqual([]);
  });

  it('accepts a key of 255 visible ASCII characters', async () => {
    const keys = fakeKeys();
    const { post } = await keyedSetup(keys);
    const key = Array.from({ length: 255 }, (_, i) => String.fromCharCode(0x21 + (i % 94))).join('');

    const response = await post(ALICE, key);

    expect(response.statusCode).toBe(201);
    expect(keys.rows.has(key)).toBe(true);
  });
});

describe('POST /users with an Idempotency-Key', () => {
  it('writes the user, its event and the answer in ONE transaction, on one client, before COMMIT', async () => {
    const keys = fakeKeys();
    const { post, db, published } = await keyedSetup(keys);

    const response = await post(ALICE);

    expect(response.statusCode).toBe(201);
    expect(db.log).toEqual([
      'BEGIN',
      'SELECT pg_try_advisory_xact_lock($1, hashtext($2))',
      'SELECT fingerprint, status,',
      'INSERT INTO users',
      'outbox.publish UserRegistered',
      'INSERT INTO idempotency_keys',
      'COMMIT',
    ]);
    expect(db.clients).toHaveLength(1);
    expect(published[0]?.tx).toBe(db.clients[0]);
    const user = response.json<{ id: string }>();
    expect(keys.rows.get(KEY)).toEqual({
      fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      status: 201,
      headers: { 'content-type': 'application/json; charset=utf-8', location: `/users/${user.id}`, etag: '"1"' },
      body: response.json(),
    });
    expect(response.headers['idempotent-replayed']).toBeUndefined();
  });

  it('answers a retry with the first answer, without writing again, and counts the replay', async () => {
    const keys = fakeKeys();
    const { post, db, published, metrics } = await keyedSetup(keys);
    const first = await post(ALICE);

    // The same body, its keys in another order and a string with blanks the API trims: the same request.
    const retry = await post({ avatarUrl: ALICE.avatarUrl, name: `  ${ALICE.name} `, email: ALICE.email });

    expect(retry.statusCode).toBe(201);
    expect(retry.body).toBe(first.body);
    for (const header of ['content-type', 'location', 'etag']) expect(retry.headers[header]).toBe(first.headers[header]);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(db.inserts).toHaveLength(1);
    expect(published).toHaveLength(1);
    expect(await replayCount(metrics)).toBe(1);
    expect((await metrics.idempotentReplays.get()).values[0]?.labels).toEqual({ method: 'POST', route: '/users' });
  });

  it('refuses the key on another body with a 422, writing nothing', async () => {
    const keys = fakeKeys();
    const { post, db } = await keyedSetup(keys);
    await post(ALICE);

    const other = await post({ ...ALICE, name: 'Someone Else' });

    expect(other.statusCode).toBe(422);
    expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(other.json()).toMatchObject({ type: 'https://evergreen.dev/problems/idempotency-key-reused', status: 422, errors: [{ field: 'idempotency-key' }] });
    expect(db.inserts).toHaveLength(1);
  });

  it('answers 409 with Retry-After while another request holds the key, writing nothing', async () => {
    const { post, db, published } = await keyedSetup(fakeKeys({ lockHeldElsewhere: true }));

    const response = await post(ALICE);

    expect(response.statusCode).toBe(409);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.json()).toMatchObject({ type: 'https://evergreen.dev/problems/idempotency-key-in-flight', status: 409 });
    expect(db.log).not.toContain('INSERT INTO users');
    expect(db.log).not.toContain('INSERT INTO idempotency_keys');
    expect(published).toHaveLength(0);
  });

  it('answers from the record even while another request holds the lock (a concurrent replay)', async () => {
    const keys = fakeKeys();
    const { post } = await keyedSetup(keys);
    const first = await post(ALICE);
    // The same table, seen by a second app whose lock is taken.
    const busy = await setup({ respond: (sql, params) => (sql.includes('pg_try_advisory_xact_lock') ? { rows: [{ locked: false }] } : keys.respond(sql, params)) });

    const retry = await busy.app.inject({ method: 'POST', url: '/users', headers: { 'idempotency-key': KEY }, payload: ALICE });

    expect(retry.statusCode).toBe(201);
    expect(retry.body).toBe(first.body);
  });

  it('records no refusal of the business rules (email taken): it rolls back, and a retry runs anew', async () => {
    const keys = fakeKeys();
    const { post, db } = await keyedSetup(keys, { failOn: { statement: 'INSERT INTO users', error: unique('duplicate key value violates unique constraint "users_email_key"') } });

    const refused = await post(ALICE);

    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ type: 'https://evergreen.dev/problems/email-taken' });
    expect(db.log.slice(-2)).toEqual(['INSERT INTO users', 'ROLLBACK']);
    expect(db.log).not.toContain('INSERT INTO idempotency_keys');
    expect(keys.rows.size).toBe(0);

    const retry = await post(ALICE);
    expect(retry.statusCode).toBe(409);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(db.log.filter((line) => line === 'INSERT INTO users')).toHaveLength(2);
  });

  it('records nothing for a fault (5xx): the whole transaction rolls back, and a retry runs anew', async () => {
    const keys = fakeKeys();
    const { post, db } = await keyedSetup(keys, { outboxError: new Error('schema registry unavailable') });

    const response = await post(ALICE);

    expect(response.statusCode).toBe(500);
    expect(db.log.at(-1)).toBe('ROLLBACK');
    expect(db.log).not.toContain('INSERT INTO idempotency_keys');
    expect(keys.rows.size).toBe(0);
  });

  it('leaves a request without the header exactly as before: no lock, no savepoint, no record', async () => {
    const keys = fakeKeys();
    const { register, db } = await keyedSetup(keys);

    await register(ALICE);

    expect(db.log).toEqual(['BEGIN', 'INSERT INTO users', 'outbox.publish UserRegistered', 'COMMIT']);
    expect(keys.rows.size).toBe(0);
  });
});

describe('PATCH and DELETE /users/:id with an Idempotency-Key', () => {
  it('replays a profile change with its ETag, though re-running it would now be refused as stale', async () => {
    const keys = fakeKeys({ user: storedUser(1) });
    const { app, published } = await keyedSetup(keys);
    const patch = () => app.inject({ method: 'PATCH', url: `/users/${USER_ID}`, headers: { 'idempotency-key': KEY, 'if-match': '"1"' }, payload: { name: 'Ada' } });

    const first = await patch();
    const retry = await patch();

    expect(first.statusCode).toBe(200);
    expect(first.headers.etag).toBe('"2"');
    expect(retry.statusCode).toBe(200);
    expect(retry.headers.etag).toBe('"2"');
    expect(retry.body).toBe(first.body);
    expect(published).toHaveLength(1);
  });

  it('records no 404 or 412: a retry runs again, and the key stays free for the corrected request', async () => {
    const keys = fakeKeys();
    const { app, db } = await keyedSetup(keys);

    const missing = await app.inject({ method: 'PATCH', url: `/users/${USER_ID}`, headers: { 'idempotency-key': KEY, 'if-match': '"1"' }, payload: { name: 'Ada' } });
    const retry = await app.inject({ method: 'PATCH', url: `/users/${USER_ID}`, headers: { 'idempotency-key': KEY, 'if-match': '1' }, payload: { name: 'Ada' } });
    const other = await app.inject({ method: 'DELETE', url: `/users/${USER_ID}`, headers: { 'idempotency-key': KEY, 'if-match': '"1"' } });

    expect(missing.statusCode).toBe(404);
    expect(retry.statusCode).toBe(404);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    // Not a reuse of the key (422): nothing was recorded under it.
    expect(other.statusCode).toBe(404);
    expect(keys.rows.size).toBe(0);
    expect(db.log).not.toContain('INSERT INTO idempotency_keys');

    const stale = await keyedSetup(fakeKeys({ user: storedUser(2) }));
    const refused = await stale.app.inject({ method: 'PATCH', url: `/users/${USER_ID}`, headers: { 'idempotency-key': KEY, 'if-match': '"1"' }, payload: { name: 'Ada' } });
    expect(refused.statusCode).toBe(412);
    expect(stale.db.log).not.toContain('INSERT INTO idempotency_keys');
  });

  it('replays a deletion: 204, no body, the same ETag', async () => {
    const keys = fakeKeys({ user: storedUser(3) });
    const { app, published } = await keyedSetup(keys);
    const remove = () => app.inject({ method: 'DELETE', url: `/users/${USER_ID}`, headers: { 'idempotency-key': KEY } });

    const first = await remove();
    const retry = await remove();

    expect(first.statusCode).toBe(204);
    expect(first.headers.etag).toBe('"4"');
    expect(keys.rows.get(KEY)).toMatchObject({ status: 204, headers: { etag: '"4"' }, body: null });
    expect(retry.statusCode).toBe(204);
    expect(retry.headers.etag).toBe('"4"');
    expect(retry.body).toBe('');
    expect(published).toHaveLength(1);
  });
});
