import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvroSerde } from '@evergreen/avro-serde';
import { createOutbox } from '@evergreen/outbox';
import { eventCatalog } from '@evergreen/schemas';
import { createPool, loadStackConfig } from '@evergreen/platform';
import { buildApp } from '@evergreen/registration-api';
import { uniqueEmail } from './support/harness.ts';

interface Attempt {
  method: 'POST' | 'PATCH' | 'DELETE' | 'GET' | 'PUT';
  url: string;
  headers?: Record<string, string>;
  /** Sent as it is: a string is the raw body, anything else is serialised as JSON. */
  payload?: unknown;
}

const VALID = { email: 'valid@example.com', name: 'Valid Name', avatarUrl: 'https://example.com/a.png' };
const register = (body: unknown): Attempt => ({ method: 'POST', url: '/users', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
const rawRegister = (payload: string, contentType = 'application/json'): Attempt => ({ method: 'POST', url: '/users', headers: { 'content-type': contentType }, payload });

// Issue #5: no input yields a 500 or a partial write. Every case must be answered 4xx with a
// problem body, and leave the users table and the outbox exactly as they were. The outbox keeps its
// rows here, so an event written by mistake would be counted.
describe('malformed input', () => {
  const config = loadStackConfig();
  let pool: pg.Pool;
  let redis: Redis;
  let app: FastifyInstance;
  let existing: { id: string; email: string; version: number };
  const kept: string[] = [];

  beforeAll(async () => {
    pool = createPool(config.postgres, { max: 4 });
    redis = new Redis({ host: config.redis.host, port: config.redis.port, db: config.redis.db });
    const outbox = createOutbox({ serde: AvroSerde.forRegistry(config.registry), config, catalog: eventCatalog, keepRows: true });
    app = await buildApp({ pool, outbox, redis, readYourWritesTimeoutMs: 50 });
    const response = await app.inject({ method: 'POST', url: '/users', payload: { ...VALID, email: uniqueEmail('Existing') } });
    expect(response.statusCode).toBe(201);
    existing = response.json();
    kept.push(existing.id);
  });
  afterAll(async () => {
    // The rows this suite's outbox kept on purpose; no other writer keeps rows in this table.
    await pool?.query('DELETE FROM outbox WHERE aggregateid = ANY($1)', [kept]);
    await app?.close();
    await pool?.end();
    redis?.disconnect();
  });

  async function snapshot() {
    const { rows } = await pool.query<{ users: string; outbox: string; existing: string }>(
      `SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM outbox) AS outbox,
              (SELECT row(email, name, avatar_url, version)::text FROM users WHERE id = $1) AS existing`,
      [existing.id],
    );
    return rows[0];
  }

  const long = (length: number) => 'x'.repeat(length);
  const cases: Array<[string, () => Attempt]> = [
    // Wrong types and shapes.
    ['email as a number', () => register({ ...VALID, email: 42 })],
    ['name as a boolean', () => register({ ...VALID, name: true })],
    ['avatarUrl as an object', () => register({ ...VALID, avatarUrl: { href: 'https://x' } })],
    ['an array body', () => register([VALID])],
    ['a JSON string body', () => register('valid@example.com')],
    ['a JSON null body', () => rawRegister('null')],
    ['a numeric string for a name', () => register({ ...VALID, name: 12345 })],
    // Missing and extra fields.
    ['an empty object', () => register({})],
    ['no name', () => register({ email: VALID.email })],
    ['no email', () => register({ name: VALID.name })],
    ['an unknown field', () => register({ ...VALID, isAdmin: true })],
    ['a prototype-pollution field', () => rawRegister(`{"email":"p@example.com","name":"P","__proto__":{"admin":true}}`)],
    // Sizes.
    ['a 201-character name', () => register({ ...VALID, name: long(201) })],
    ['a 10,000-character name', () => register({ ...VALID, name: long(10_000) })],
    ['a 300-character email', () => register({ ...VALID, email: `${long(290)}@example.com` })],
    ['a 3,000-character avatar URL', () => register({ ...VALID, avatarUrl: `https://example.com/${long(3_000)}` })],
    ['a body over 16 KiB', () => register({ ...VALID, name: long(20_000) })],
    ['201 emoji', () => register({ ...VALID, name: '😀'.repeat(201) })],
    // Unicode edge cases.
    ['a lone surrogate in the name', () => rawRegister(`{"email":"s@example.com","name":"A\\ud800B"}`)],
    ['a NUL byte in the name', () => register({ ...VALID, name: 'A\u0000B' })],
    ['a NUL byte in the email', () => register({ ...VALID, email: 'a\u0000b@example.com' })],
    ['zero-width spaces as the name', () => register({ ...VALID, name: '\u200b\u200c\u2060' })],
    ['a right-to-left override in the name', () => register({ ...VALID, name: 'Invoice\u202Efdp.exe' })],
    ['blanks as the name', () => register({ ...VALID, name: ' \t\n ' })],
    ['a non-ASCII email without a domain', () => register({ ...VALID, email: 'jürgen@' })],
    ['combining marks as the name', () => register({ ...VALID, name: '\u0301\u0308\u20dd' })],
    ['Hangul fillers as the name', () => register({ ...VALID, name: '\u3164\u3164' })],
    // Injection strings where a format applies.
    ['SQL in the email', () => register({ ...VALID, email: "x@example.com' OR '1'='1" })],
    ['a javascript: avatar URL', () => register({ ...VALID, avatarUrl: 'javascript:alert(1)' })],
    ['an http avatar URL', () => register({ ...VALID, avatarUrl: 'http://example.com/a.png' })],
    ['a data: avatar URL', () => register({ ...VALID, avatarUrl: 'data:text/html,<script>alert(1)</script>' })],
    ['an https avatar URL without a host', () => register({ ...VALID, avatarUrl: 'https:///etc/passwd' })],
    ['a path with broken percent-encoding', () => ({ method: 'GET', url: '/users/%E0%A4%A' })],
    ['a registration with PUT', () => ({ ...register(VALID), method: 'PUT' })],
    ['SQL as a user id', () => ({ method: 'GET', url: `/users/${encodeURIComponent("1' OR '1'='1")}` })],
    ['SQL as minVersion', () => ({ method: 'GET', url: `/users/${existing.id}?minVersion=${encodeURIComponent('1;DROP TABLE users')}` })],
    // Broken bodies.
    ['truncated JSON', () => rawRegister('{"email":"t@example.com","name":')],
    ['an empty JSON body', () => rawRegister('')],
    ['a form-encoded body', () => rawRegister('email=f@example.com&name=F', 'application/x-www-form-urlencoded')],
    ['a text body', () => rawRegister(JSON.stringify(VALID), 'text/plain')],
    // The same email, differing only in case.
    ['an email already registered, in upper case', () => register({ ...VALID, email: existing.email.toUpperCase() })],
    ['an email already registered, in mixed case and padded', () => register({ ...VALID, email: `  ${existing.email.replace(/^./, (first) => first.toUpperCase())} ` })],
    // Changes that must not apply.
    ['a change without If-Match', () => ({ method: 'PATCH', url: `/users/${existing.id}`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'Changed' }) })],
    ['a change with a stale If-Match', () => ({ method: 'PATCH', url: `/users/${existing.id}`, headers: { 'content-type': 'application/json', 'if-match': '"99"' }, payload: JSON.stringify({ name: 'Changed' }) })],
    ['a change with a garbage If-Match', () => ({ method: 'PATCH', url: `/users/${existing.id}`, headers: { 'content-type': 'application/json', 'if-match': "1' OR 1=1" }, payload: JSON.stringify({ name: 'Changed' }) })],
    ['an empty change', () => ({ method: 'PATCH', url: `/users/${existing.id}`, headers: { 'content-type': 'application/json', 'if-match': '"1"' }, payload: '{}' })],
    ['a change of the email', () => ({ method: 'PATCH', url: `/users/${existing.id}`, headers: { 'content-type': 'application/json', 'if-match': '"1"' }, payload: JSON.stringify({ email: 'new@example.com' }) })],
    ['a change to a control-character name', () => ({ method: 'PATCH', url: `/users/${existing.id}`, headers: { 'content-type': 'application/json', 'if-match': '"1"' }, payload: JSON.stringify({ name: 'A\u0007B' }) })],
    ['a change of an unknown user', () => ({ method: 'PATCH', url: '/users/00000000-0000-4000-8000-000000000000', headers: { 'content-type': 'application/json', 'if-match': '"1"' }, payload: JSON.stringify({ name: 'Ghost' }) })],
    ['a deletion with a stale If-Match', () => ({ method: 'DELETE', url: `/users/${existing.id}`, headers: { 'if-match': '"7"' } })],
    ['a deletion of an unknown user', () => ({ method: 'DELETE', url: '/users/00000000-0000-4000-8000-000000000000' })],
  ];

  it.each(cases)('%s: 4xx problem, nothing written', async (_case, attempt) => {
    const before = await snapshot();
    const { method, url, headers, payload } = attempt();

    const response = await app.inject({ method, url, headers, payload: payload as string | undefined });

    expect(response.statusCode, response.body).toBeGreaterThanOrEqual(400);
    expect(response.statusCode, response.body).toBeLessThan(500);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = response.json<{ type: string; title: string; status: number; detail: string }>();
    expect(problem.type).toMatch(/^https:\/\/evergreen\.dev\/problems\/[a-z-]+$/);
    expect(problem.status).toBe(response.statusCode);
    expect(problem.title.length).toBeGreaterThan(0);
    expect(await snapshot()).toEqual(before);
  });

  // Injection strings are only text where no format applies: stored and returned verbatim,
  // never executed, and the table is still there afterwards.
  it.each([["Robert'); DROP TABLE users;--"], ['<script>alert(1)</script>'], ['${process.exit(1)}'], ['{{7*7}}']])('stores the name %j verbatim', async (name) => {
    const response = await app.inject({ method: 'POST', url: '/users', payload: { email: uniqueEmail('verbatim'), name } });

    expect(response.statusCode).toBe(201);
    const { id } = response.json<{ id: string }>();
    kept.push(id);
    const { rows } = await pool.query<{ name: string }>('SELECT name FROM users WHERE id = $1', [id]);
    expect(rows[0]?.name).toBe(name);
  });
});
