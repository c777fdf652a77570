import { createLogger, pollUntil } from '@evergreen/platform';
import { describe, expect, it } from 'vitest';
import { BODY_LIMIT_BYTES } from './app.ts';
import { ALICE, setup } from './test-support.ts';

const USER_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

describe('x-request-id', () => {
  it('echoes a well-formed incoming id on the answer', async () => {
    const { app } = await setup();

    const response = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'checkout-7f3a.42' } });

    expect(response.headers['x-request-id']).toBe('checkout-7f3a.42');
  });

  it('replaces a missing or unsafe id with a fresh UUID, on problems too', async () => {
    const { app } = await setup();

    const missing = await app.inject({ method: 'GET', url: '/health' });
    const unsafe = await app.inject({ method: 'POST', url: '/users', headers: { 'x-request-id': 'evil\nlog line' }, payload: {} });

    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(missing.headers['x-request-id']).toMatch(uuid);
    expect(unsafe.statusCode).toBe(400);
    expect(unsafe.headers['x-request-id']).toMatch(uuid);
  });
});

describe('logs', () => {
  it("carry the request's id on every line it writes, an error's too", async () => {
    const lines: Array<{ reqId?: string; msg?: string }> = [];
    const logger = createLogger('registration-api-test', 'info', {}, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const { app } = await setup({ logger, outboxError: new Error('schema registry down') });

    const response = await app.inject({ method: 'POST', url: '/users', headers: { 'x-request-id': 'trace-me-1' }, payload: ALICE });

    expect(response.statusCode).toBe(500);
    expect(lines.map(({ msg }) => msg)).toEqual(expect.arrayContaining(['incoming request', 'request failed', 'request completed']));
    expect(lines.filter(({ reqId }) => reqId !== 'trace-me-1')).toEqual([]);
  });
});

describe('errors outside the routes', () => {
  it('answers an unknown route with a 404 problem', async () => {
    const { app } = await setup();

    const response = await app.inject({ method: 'GET', url: '/people/1?x=y' });

    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ type: 'https://evergreen.dev/problems/route-not-found', status: 404, detail: expect.stringContaining('GET /people/1 ') });
  });

  it(`answers a body over ${BODY_LIMIT_BYTES} bytes with a 413 problem, writing nothing`, async () => {
    const { register, db } = await setup();

    const response = await register({ ...ALICE, name: 'a'.repeat(BODY_LIMIT_BYTES) });

    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ type: 'https://evergreen.dev/problems/payload-too-large', status: 413 });
    expect(db.log).toEqual([]);
  });

  it.each([
    ['PUT', '/users', 'POST'],
    ['GET', '/users', 'POST'],
    ['POST', `/users/${USER_ID}`, 'DELETE, GET, HEAD, PATCH'],
  ])('answers %s %s, a path served under other methods, with a 405 problem and Allow: %s', async (method, url, allow) => {
    const { app, db } = await setup();

    const response = await app.inject({ method: method as 'PUT', url, payload: {} });

    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe(allow);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ type: 'https://evergreen.dev/problems/method-not-allowed', status: 405 });
    expect(db.log).toEqual([]);
  });

  it('answers a path with broken percent-encoding with a 400 problem that carries the request id', async () => {
    const { app } = await setup();

    const response = await app.inject({ method: 'GET', url: '/users/%E0%A4%A', headers: { 'x-request-id': 'bad-url-1' } });

    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ type: 'https://evergreen.dev/problems/malformed-url', status: 400 });
    expect(response.headers['x-request-id']).toBe('bad-url-1');
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml'])('answers a %s body with a 415 problem, writing nothing', async (contentType) => {
    const { app, db } = await setup();

    const response = await app.inject({ method: 'POST', url: '/users', headers: { 'content-type': contentType }, payload: 'email=a@example.com&name=A' });

    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ type: 'https://evergreen.dev/problems/unsupported-media-type', status: 415 });
    expect(db.log).toEqual([]);
  });
});

describe('text fields', () => {
  it('are stored trimmed', async () => {
    const { register, db } = await setup();

    const response = await register({ email: '  alice@example.com\t', name: '\u00a0 Alice Liddell \n' });

    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ email: 'alice@example.com', name: 'Alice Liddell' });
    expect(db.inserts[0]?.slice(1, 3)).toEqual(['alice@example.com', 'Alice Liddell']);
  });

  it.each([
    ['blanks only', '   '],
    ['zero-width spaces only', '\u200b\u200b'],
    ['a NUL byte', 'Al\u0000ice'],
    ['an escape sequence', 'Al\u001b[31mice'],
    ['a right-to-left override', 'Alice\u202Egnp.exe'],
    ['a lone surrogate', 'Al\ud800ice'],
    ['combining marks only', '\u0301\u0308'],
    ['Hangul fillers only', '\u3164\u3164'],
  ])('refuse a name with %s, naming the field', async (_case, name) => {
    const { register, db } = await setup();

    const response = await register({ ...ALICE, name });

    expect(response.statusCode).toBe(400);
    const fields = response.json<{ errors: Array<{ field: string }> }>().errors.map(({ field }) => field);
    expect(new Set(fields)).toEqual(new Set(['name']));
    expect(db.log).toEqual([]);
  });

  it.each(['Zoë Ångström', 'Zoe\u0308', '李小龍', '한글', 'Ada 👩‍💻', "O'Brien-Smith"])('accept the name %j', async (name) => {
    const { register } = await setup();

    expect((await register({ ...ALICE, name })).statusCode).toBe(201);
  });

  it('explain a refused avatar URL in words', async () => {
    const { register } = await setup();

    const response = await register({ ...ALICE, avatarUrl: 'http://example.com/a.png' });

    expect(response.json().errors).toEqual([{ field: 'avatarUrl', message: 'must be an https URL with a host' }]);
  });

  it.each(['https://', 'https:///a.png', 'https://?x', 'javascript:alert(1)', 'ftp://example.com/a.png'])('refuse the avatar URL %j', async (avatarUrl) => {
    const { register, db } = await setup();

    const response = await register({ ...ALICE, avatarUrl });

    expect(response.statusCode).toBe(400);
    expect(response.json<{ errors: Array<{ field: string }> }>().errors.map(({ field }) => field)).toContain('avatarUrl');
    expect(db.log).toEqual([]);
  });
});

describe('ids PostgreSQL does not read as a uuid', () => {
  // The uuid format of ajv-formats takes these; PostgreSQL's uuid type refuses the urn form (22P02),
  // which answered 500 before the ids had a pattern.
  it.each([
    ['GET', `/users/urn:uuid:${USER_ID}`],
    ['PATCH', `/users/urn:uuid:${USER_ID}`],
    ['DELETE', `/users/urn:uuid:${USER_ID}`],
    ['GET', `/users/{${USER_ID}}`],
    ['DELETE', `/users/${USER_ID.replaceAll('-', '')}`],
  ] as const)('%s %s is 400 naming the id, without a statement', async (method, url) => {
    const { app, db } = await setup();

    const response = await app.inject({ method, url, headers: { 'if-match': '"1"' }, ...(method === 'PATCH' ? { payload: { name: 'Ada' } } : {}) });

    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ type: 'https://evergreen.dev/problems/validation', errors: [{ field: 'id', message: expect.stringContaining('must be a UUID') }] });
    expect(db.log).toEqual([]);
  });
});

describe('GET /docs', () => {
  it('serves the OpenAPI document generated from the route schemas, every route with its answers', async () => {
    const { app } = await setup();

    const response = await app.inject({ method: 'GET', url: '/docs/json' });

    expect(response.statusCode).toBe(200);
    const { paths } = response.json<{ paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }>();
    const answers = (path: string, method: string) => Object.keys(paths[path]?.[method]?.responses ?? {}).sort();
    expect(Object.keys(paths).sort()).toEqual(['/users', '/users/{id}']);
    expect(answers('/users', 'post')).toEqual(['201', '400', '409', '413', '415', '422', '500', '503']);
    expect(answers('/users/{id}', 'get')).toEqual(['200', '400', '404', '414', '500', '503']);
    expect(answers('/users/{id}', 'patch')).toEqual(['200', '400', '404', '409', '412', '413', '414', '415', '422', '428', '500', '503']);
    // Fastify reads a DELETE's body too, so it can refuse one: 413 and 415 are listed as well.
    expect(answers('/users/{id}', 'delete')).toEqual(['204', '400', '404', '409', '412', '413', '414', '415', '422', '500', '503']);
    // Problems are documented as what they are served as, under the shared schema's own name.
    expect(paths['/users']?.post?.responses['409']).toMatchObject({ content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
    // Every write takes an optional Idempotency-Key, documented as a header parameter.
    const parameters = response.json<{ paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string; required?: boolean }> }>> }>().paths;
    for (const [path, method] of [['/users', 'post'], ['/users/{id}', 'patch'], ['/users/{id}', 'delete']] as const) {
      expect(parameters[path]?.[method]?.parameters).toContainEqual(expect.objectContaining({ in: 'header', name: 'idempotency-key', required: false }));
    }
  });

  it('serves the UI', async () => {
    const { app } = await setup();

    const response = await app.inject({ method: 'GET', url: '/docs/' });

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
  });
});

describe('GET /metrics', () => {
  it('counts requests by route pattern and status, and outbox events by type', async () => {
    const { app, register } = await setup();
    await register(ALICE);
    await app.inject({ method: 'GET', url: `/users/${USER_ID}` });

    const response = await app.inject({ method: 'GET', url: '/metrics' });

    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('evergreen_api_requests_total{method="POST",route="/users",status_code="201"} 1');
    expect(response.body).toContain('evergreen_api_requests_total{method="GET",route="/users/:id",status_code="404"} 1');
    expect(response.body).toMatch(/evergreen_api_request_seconds_count\{method="POST",route="\/users",status_code="201"\} 1/);
    expect(response.body).toContain('evergreen_api_outbox_events_total{event_type="UserRegistered"} 1');
    expect(response.body).toContain('nodejs_eventloop_lag_seconds');
    expect(response.body).not.toContain(USER_ID);
  });

  it('does not count a registration whose transaction failed as an outbox event', async () => {
    const { app, register } = await setup({ outboxError: new Error('schema registry down') });
    await register(ALICE);

    const response = await app.inject({ method: 'GET', url: '/metrics' });

    expect(response.body).not.toContain('evergreen_api_outbox_events_total{');
  });
});

describe('shutdown', () => {
  it('answers the request in flight before close() resolves, and refuses new connections', async () => {
    let release: () => void = () => undefined;
    const insertGate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { app, db } = await setup({ insertGate });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const inFlight = fetch(`${address}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ALICE) });
    await pollUntil(() => db.log.includes('INSERT INTO users') || undefined, { description: 'the insert to start', timeoutMs: 5_000, intervalMs: 5 });

    const closed = app.close();
    release();
    const response = await inFlight;
    await closed;

    expect(response.status).toBe(201);
    expect(db.log).toContain('COMMIT');
    await expect(fetch(`${address}/health`)).rejects.toThrow();
  });
});
