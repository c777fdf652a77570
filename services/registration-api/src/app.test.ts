import { describe, expect, it } from 'vitest';
import { ALICE, CREATED_AT, setup, unique } from './test-support.ts';

/** Asserts a 400 problem+json response that names `field` among its errors. */
function expectValidationProblem(response: { statusCode: number; headers: Record<string, unknown>; json(): any }, field: string, message?: RegExp) {
  expect(response.statusCode).toBe(400);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json();
  expect(body).toMatchObject({ type: 'https://evergreen.dev/problems/validation', status: 400, title: 'Invalid request' });
  const entry = body.errors.find((error: { field: string }) => error.field === field);
  expect(entry, `errors ${JSON.stringify(body.errors)} should name ${field}`).toBeDefined();
  if (message) expect(entry.message).toMatch(message);
  expect(body.detail).toContain(field);
}

describe('POST /users', () => {
  describe('a valid registration', () => {
    it('answers 201 with the user, its location and its version as the etag', async () => {
      const { register } = await setup();

      const response = await register(ALICE);

      expect(response.statusCode).toBe(201);
      const body = response.json();
      expect(body).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
        email: ALICE.email,
        name: ALICE.name,
        avatarUrl: ALICE.avatarUrl,
        version: 1,
        registeredAt: CREATED_AT.toISOString(),
        updatedAt: CREATED_AT.toISOString(),
      });
      expect(response.headers.location).toBe(`/users/${body.id}`);
      expect(response.headers.etag).toBe('"1"');
      expect(response.headers['content-type']).toMatch(/^application\/json/);
    });

    it('stores a missing avatarUrl as null and returns it as null', async () => {
      const { register, db } = await setup();

      const response = await register({ email: ALICE.email, name: ALICE.name });

      expect(response.statusCode).toBe(201);
      expect(response.json().avatarUrl).toBeNull();
      expect(db.inserts[0]?.[3]).toBeNull();
    });

    it('accepts an explicit null avatarUrl', async () => {
      const { register } = await setup();

      const response = await register({ ...ALICE, avatarUrl: null });

      expect(response.statusCode).toBe(201);
      expect(response.json().avatarUrl).toBeNull();
    });

    it('inserts the user and publishes UserRegistered on the same client, inside one committed transaction', async () => {
      const { register, db, published } = await setup();

      const response = await register(ALICE);
      const user = response.json();

      expect(db.log).toEqual(['BEGIN', 'INSERT INTO users', 'outbox.publish UserRegistered', 'COMMIT']);
      expect(db.clients).toHaveLength(1);
      expect(published[0]?.tx).toBe(db.clients[0]);
      expect(db.released).toBe(1);
      expect(db.inserts[0]).toEqual([user.id, ALICE.email, ALICE.name, ALICE.avatarUrl]);
      expect(published[0]?.event).toEqual({
        aggregateType: 'user',
        aggregateId: user.id,
        eventType: 'UserRegistered',
        aggregateVersion: 1,
        data: {
          userId: user.id,
          version: 1,
          email: ALICE.email,
          name: ALICE.name,
          avatarUrl: ALICE.avatarUrl,
          registeredAt: CREATED_AT.getTime(),
        },
      });
    });

    it('gives every registration its own id', async () => {
      const { register } = await setup();

      const first = (await register(ALICE)).json();
      const second = (await register({ ...ALICE, email: 'bob@example.com' })).json();

      expect(first.id).not.toBe(second.id);
    });

    it('accepts strings at their maximum lengths', async () => {
      const { register } = await setup();
      const email = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;
      expect(email).toHaveLength(254);

      const response = await register({ email, name: 'n'.repeat(200), avatarUrl: `https://example.com/${'p'.repeat(2048 - 20)}` });

      expect(response.statusCode).toBe(201);
    });
  });

  describe('an invalid body', () => {
    it('without email is 400 naming email as required', async () => {
      const { register } = await setup();
      expectValidationProblem(await register({ name: ALICE.name }), 'email', /required/);
    });

    it('without name is 400 naming name as required', async () => {
      const { register } = await setup();
      expectValidationProblem(await register({ email: ALICE.email }), 'name', /required/);
    });

    it.each(['not-an-email', 'alice@', '@example.com', 'alice example.com'])('with email %j is 400 naming email', async (email) => {
      const { register } = await setup();
      expectValidationProblem(await register({ ...ALICE, email }), 'email', /format "email"/);
    });

    it('with an unknown property is 400 naming that property, not silently dropping it', async () => {
      const { register, db } = await setup();
      const response = await register({ ...ALICE, isAdmin: true });
      expectValidationProblem(response, 'isAdmin', /not an allowed field/);
      expect(db.inserts).toHaveLength(0);
    });

    it('with name as a number is 400 naming name, without coercing it to a string', async () => {
      const { register } = await setup();
      expectValidationProblem(await register({ ...ALICE, name: 42 }), 'name', /must be string/);
    });

    it('with email as a boolean is 400 naming email', async () => {
      const { register } = await setup();
      expectValidationProblem(await register({ ...ALICE, email: true }), 'email', /must be string/);
    });

    it.each(['http://cdn.example.com/alice.png', 'ftp://cdn.example.com/alice.png', 'javascript:alert(1)', 'cdn.example.com/alice.png'])(
      'with avatarUrl %j (not https) is 400 naming avatarUrl',
      async (avatarUrl) => {
        const { register } = await setup();
        expectValidationProblem(await register({ ...ALICE, avatarUrl }), 'avatarUrl');
      },
    );

    it('with an empty name is 400 naming name', async () => {
      const { register } = await setup();
      expectValidationProblem(await register({ ...ALICE, name: '' }), 'name', /fewer than 1/);
    });

    it('with a name over 200 characters is 400 naming name', async () => {
      const { register } = await setup();
      expectValidationProblem(await register({ ...ALICE, name: 'n'.repeat(201) }), 'name', /more than 200/);
    });

    it('with an email over 254 characters is 400 naming email', async () => {
      const { register } = await setup();
      const email = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`;
      expectValidationProblem(await register({ ...ALICE, email }), 'email', /more than 254/);
    });

    it('with an avatarUrl over 2048 characters is 400 naming avatarUrl', async () => {
      const { register } = await setup();
      const avatarUrl = `https://example.com/${'p'.repeat(2048 - 19)}`;
      expectValidationProblem(await register({ ...ALICE, avatarUrl }), 'avatarUrl', /more than 2048/);
    });

    it('names every offending field at once', async () => {
      const { register } = await setup();
      const response = await register({ email: 'nope', name: 7, extra: 1 });
      const fields = response.json().errors.map((error: { field: string }) => error.field);
      expect(fields).toEqual(expect.arrayContaining(['email', 'name', 'extra']));
    });

    it('that is a JSON array instead of an object is 400', async () => {
      const { register } = await setup();
      expectValidationProblem(await register([ALICE]), 'body', /must be object/);
    });

    it('that is malformed JSON is 400 problem+json', async () => {
      const { app, db } = await setup();

      const response = await app.inject({
        method: 'POST',
        url: '/users',
        headers: { 'content-type': 'application/json' },
        payload: '{"email": "alice@example.com", "name": ',
      });

      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ type: 'https://evergreen.dev/problems/malformed-json', status: 400, title: 'Malformed JSON' });
      expect(db.log).toEqual([]);
    });

    it('that is empty with a JSON content type is 400 problem+json', async () => {
      const { app } = await setup();

      const response = await app.inject({ method: 'POST', url: '/users', headers: { 'content-type': 'application/json' }, payload: '' });

      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('with a media type the API does not parse is 415 problem+json', async () => {
      const { app } = await setup();

      const response = await app.inject({ method: 'POST', url: '/users', headers: { 'content-type': 'application/xml' }, payload: '<user/>' });

      expect(response.statusCode).toBe(415);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('over the 16 KiB body limit is 413 problem+json', async () => {
      const { app, db } = await setup();

      const response = await app.inject({
        method: 'POST',
        url: '/users',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ ...ALICE, name: 'n'.repeat(17 * 1024) }),
      });

      expect(response.statusCode).toBe(413);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(db.log).toEqual([]);
    });

    it('never opens a transaction', async () => {
      const { register, db, published } = await setup();

      await register({ ...ALICE, avatarUrl: 'http://insecure.example.com/a.png' });

      expect(db.log).toEqual([]);
      expect(db.clients).toHaveLength(0);
      expect(published).toHaveLength(0);
    });
  });

  describe('a duplicate email', () => {
    it('is 409 problem+json saying the email is already registered', async () => {
      const { register } = await setup({
        failOn: { statement: 'INSERT INTO users', error: unique('duplicate key value violates unique constraint "users_email_key"') },
      });

      const response = await register(ALICE);

      expect(response.statusCode).toBe(409);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toEqual({
        type: 'https://evergreen.dev/problems/email-taken',
        title: 'Email already registered',
        status: 409,
        detail: `a user with email ${ALICE.email} is already registered`,
        errors: [{ field: 'email', message: 'is already registered' }],
      });
    });

    it('rolls back without publishing an event and releases the client', async () => {
      const { register, db, published } = await setup({
        failOn: { statement: 'INSERT INTO users', error: unique('duplicate key value violates unique constraint "users_email_key"') },
      });

      await register(ALICE);

      expect(db.log).toEqual(['BEGIN', 'INSERT INTO users', 'ROLLBACK']);
      expect(db.log).not.toContain('COMMIT');
      expect(published).toHaveLength(0);
      expect(db.released).toBe(1);
    });

    it('is not claimed for a unique violation on another constraint, which is a 500', async () => {
      const outboxClash = Object.assign(new Error('duplicate key value violates unique constraint "outbox_pkey"'), {
        code: '23505',
        constraint: 'outbox_pkey',
        table: 'outbox',
      });
      const { register, db } = await setup({ outboxError: outboxClash });

      const response = await register(ALICE);

      expect(response.statusCode).toBe(500);
      expect(db.log).toContain('ROLLBACK');
    });
  });

  describe('a failure after validation', () => {
    it('in the outbox rolls back the user insert and answers 500 without internals', async () => {
      const { register, db } = await setup({ outboxError: new Error('schema registry unavailable: ECONNREFUSED 10.0.0.7:8081') });

      const response = await register(ALICE);

      expect(db.log).toEqual(['BEGIN', 'INSERT INTO users', 'outbox.publish UserRegistered', 'ROLLBACK']);
      expect(db.released).toBe(1);
      expect(response.statusCode).toBe(500);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      const body = response.json();
      expect(body).toMatchObject({ type: 'https://evergreen.dev/problems/internal', status: 500 });
      expect(body.detail).toMatch(/nothing was written/);
      expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|10\.0\.0\.7/);
    });

    it('in the users insert rolls back and answers 500', async () => {
      const { register, db, published } = await setup({
        // A fault, not PostgreSQL being away (that is a 503: dependency.test.ts).
        failOn: { statement: 'INSERT INTO users', error: Object.assign(new Error('null value in column "name" violates not-null constraint'), { code: '23502' }) },
      });

      const response = await register(ALICE);

      expect(response.statusCode).toBe(500);
      expect(db.log).toEqual(['BEGIN', 'INSERT INTO users', 'ROLLBACK']);
      expect(published).toHaveLength(0);
    });

    it('at COMMIT still answers 500, not 201', async () => {
      const { register, db } = await setup({ failOn: { statement: 'COMMIT', error: new Error('could not serialize access') } });

      const response = await register(ALICE);

      expect(response.statusCode).toBe(500);
      expect(db.released).toBe(1);
    });
  });
});

describe('GET /health', () => {
  it('is 200 without touching the database', async () => {
    const { app, db } = await setup({ poolQueryError: new Error('down') });

    const response = await app.inject({ method: 'GET', url: '/health' });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
    expect(db.log).toEqual([]);
  });
});

describe('GET /ready', () => {
  it('is 200 when the pool can run a query', async () => {
    const { app, db } = await setup();

    const response = await app.inject({ method: 'GET', url: '/ready' });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ready' });
    expect(db.log).toEqual(['pool: SELECT 1']);
  });

  it('is 503 naming postgres and its state when the pool cannot run a query, never the error text', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.20.30.40:5432'), { code: 'ECONNREFUSED' });
    const { app } = await setup({ poolQueryError: refused });

    const response = await app.inject({ method: 'GET', url: '/ready' });

    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'not ready', reasons: ['postgres: unavailable'] });
    expect(response.body).not.toContain('10.20.30.40');
  });

  it('is 503 naming redis when the cache does not answer, and says no more than each state', async () => {
    const password = Object.assign(new Error('password authentication failed for user "evergreen" (s3cret)'), { code: '28P01', severity: 'FATAL' });
    const { app } = await setup({ pingError: new Error('Command timed out'), poolQueryError: password });

    const response = await app.inject({ method: 'GET', url: '/ready' });

    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'not ready', reasons: ['postgres: misconfigured', 'redis: timeout'] });
    expect(response.body).not.toMatch(/s3cret|password|evergreen/);
  });
});
