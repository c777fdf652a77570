import type pg from 'pg';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Outbox, OutboxEvent } from '@evergreen/outbox';
import { buildApp } from './app.ts';

const USER_ID = '4b1f6a52-3c1e-4f7a-9d2b-1e2f3a4b5c6d';
const PLACED_AT = new Date('2026-01-02T03:04:05.000Z');
const ORDER = { userId: USER_ID, currency: 'EUR', items: [{ sku: 'tea', quantity: 2, unitPriceCents: 450 }, { sku: 'cup', quantity: 1, unitPriceCents: 1200 }] };

/**
 * A database whose replica holds the users given, and that answers the order insert as PostgreSQL
 * would; every statement is logged, every outbox publish recorded.
 */
function fakeDatabase(replicaUsers: string[]) {
  const statements: string[] = [];
  const published: OutboxEvent[] = [];
  const client = {
    async query(sql: string, params: unknown[] = []) {
      statements.push(sql.trim().split(/\s+/).slice(0, 3).join(' '));
      if (sql.includes('FROM user_replica')) return { rowCount: replicaUsers.includes(String(params[0])) ? 1 : 0, rows: [] };
      if (sql.trim().startsWith('INSERT INTO orders')) {
        const [id, userId, items, total, currency] = params;
        return { rows: [{ id, user_id: userId, status: 'PLACED', items: JSON.parse(String(items)), total_cents: String(total), currency, version: '1', placed_at: PLACED_AT, cancelled_at: null }] };
      }
      return { rows: [], rowCount: 0 };
    },
    release() {},
    on: () => client,
    removeListener: () => client,
  };
  const pool = { connect: async () => client, query: client.query } as unknown as pg.Pool;
  const outbox: Outbox = {
    async publish(_tx, event) {
      published.push(event);
      return { eventId: 'e', topic: `evergreen.${event.aggregateType}` };
    },
  };
  return { pool, outbox, statements, published };
}

async function appWith(replicaUsers: string[], notReady?: string) {
  const db = fakeDatabase(replicaUsers);
  const app = await buildApp({ ...db, registry: new Registry(), notReadyBecause: async () => notReady, notLiveBecause: () => undefined });
  return { app, ...db };
}

describe('POST /orders', () => {
  it('places an order for a user of the replica, with its OrderPlaced in the same transaction', async () => {
    const { app, statements, published } = await appWith([USER_ID]);

    const answer = await app.inject({ method: 'POST', url: '/orders', payload: ORDER });

    expect(answer.statusCode).toBe(201);
    expect(answer.json()).toMatchObject({ userId: USER_ID, status: 'PLACED', totalCents: 2100, currency: 'EUR', version: 1, placedAt: PLACED_AT.toISOString(), cancelledAt: null });
    expect(answer.headers.location).toBe(`/orders/${answer.json().id}`);
    expect(statements).toEqual(['BEGIN', 'SELECT 1 FROM', 'INSERT INTO orders', 'COMMIT']);
    expect(published).toEqual([
      {
        aggregateType: 'order',
        aggregateId: answer.json().id,
        eventType: 'OrderPlaced',
        aggregateVersion: 1,
        data: { orderId: answer.json().id, version: 1, userId: USER_ID, status: 'PLACED', items: ORDER.items, totalCents: 2100, currency: 'EUR', placedAt: PLACED_AT.getTime() },
      },
    ]);
  });

  it('refuses a user the replica does not hold with 422 problem+json naming userId, writing nothing', async () => {
    const { app, statements, published } = await appWith([]);

    const answer = await app.inject({ method: 'POST', url: '/orders', payload: ORDER });

    expect(answer.statusCode).toBe(422);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answer.json()).toMatchObject({ type: 'https://evergreen.dev/problems/unknown-user', status: 422, errors: [{ field: 'userId', message: 'is not a known user' }] });
    expect(statements).toEqual(['BEGIN', 'SELECT 1 FROM', 'ROLLBACK']);
    expect(published).toEqual([]);
  });

  it.each<[string, object, string]>([
    ['no items', { ...ORDER, items: [] }, 'items'],
    ['a quantity of zero', { ...ORDER, items: [{ sku: 'tea', quantity: 0, unitPriceCents: 450 }] }, 'items.0.quantity'],
    ['a price as a string', { ...ORDER, items: [{ sku: 'tea', quantity: 1, unitPriceCents: '450' }] }, 'items.0.unitPriceCents'],
    ['a userId that is no UUID', { ...ORDER, userId: 'ada' }, 'userId'],
    // The uuid format takes it, PostgreSQL does not (22P02): it answered 500.
    ['a userId as a urn', { ...ORDER, userId: `urn:uuid:${USER_ID}` }, 'userId'],
    // jsonb refuses \u0000 and lone surrogates: they answered 500.
    ['a sku with a NUL character', { ...ORDER, items: [{ sku: 'te\u0000a', quantity: 1, unitPriceCents: 450 }] }, 'items.0.sku'],
    ['a sku with a lone surrogate', { ...ORDER, items: [{ sku: 'tea\ud800', quantity: 1, unitPriceCents: 450 }] }, 'items.0.sku'],
    ['a currency that is no ISO code', { ...ORDER, currency: 'euro' }, 'currency'],
    ['an unknown field', { ...ORDER, discount: 5 }, 'discount'],
  ])('refuses %s with 400 naming the field', async (_case, payload, field) => {
    const { app, statements } = await appWith([USER_ID]);

    const answer = await app.inject({ method: 'POST', url: '/orders', payload });

    expect(answer.statusCode).toBe(400);
    expect(answer.json().errors.map((error: { field: string }) => error.field)).toContain(field);
    expect(statements).toEqual([]);
  });
});

describe('the routes on one order', () => {
  it.each(['GET /orders/urn:uuid:', 'POST /orders/urn:uuid:', 'GET /orders/{'])('refuse an id PostgreSQL would not read (%s…) with 400 naming it, without a statement', async (prefix) => {
    const { app, statements } = await appWith([USER_ID]);
    const [method, path] = prefix.split(' ') as ['GET' | 'POST', string];
    const id = path.endsWith('{') ? `${USER_ID}}` : USER_ID;

    const answer = await app.inject({ method, url: `${path}${id}${method === 'POST' ? '/cancel' : ''}` });

    expect(answer.statusCode).toBe(400);
    expect(answer.json().errors).toEqual([{ field: 'id', message: expect.stringContaining('must be a UUID') }]);
    expect(statements).toEqual([]);
  });
});

describe('/ready', () => {
  it('answers 503 with the reason while the replica bootstraps, 200 once it caught up', async () => {
    const bootstrapping = await appWith([], 'user replica bootstrapping from evergreen.user: 10/1000 record(s)');
    const ready = await appWith([]);

    const notYet = await bootstrapping.app.inject({ method: 'GET', url: '/ready' });

    expect(notYet.statusCode).toBe(503);
    expect(notYet.json().reason).toContain('10/1000');
    expect((await ready.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
  });
});

describe('the API as a product', () => {
  it('serves its OpenAPI document at /docs: every route, each answer with its schema, problems as application/problem+json', async () => {
    const { app } = await appWith([]);

    const response = await app.inject({ method: 'GET', url: '/docs/json' });

    expect(response.statusCode).toBe(200);
    const document = response.json<{ paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>; components: { schemas: Record<string, unknown> } }>();
    const answers = (path: string, method: string) => Object.keys(document.paths[path]?.[method]?.responses ?? {}).sort();
    expect(Object.keys(document.paths).sort()).toEqual(['/orders', '/orders/{id}', '/orders/{id}/cancel']);
    expect(answers('/orders', 'post')).toEqual(['201', '400', '413', '415', '422', '500', '503']);
    expect(answers('/orders/{id}', 'get')).toEqual(['200', '400', '404', '414', '500', '503']);
    expect(answers('/orders/{id}/cancel', 'post')).toEqual(['200', '400', '404', '409', '413', '414', '415', '500', '503']);
    expect(Object.keys(document.components.schemas).sort()).toEqual(['Order', 'Problem']);
    expect(document.paths['/orders']?.post?.responses['422']?.content).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } });
    expect((await app.inject({ method: 'GET', url: '/docs/' })).headers['content-type']).toMatch(/^text\/html/);
  });

  it.each<[string, string, string, number, string | undefined]>([
    ['an unknown path', 'GET', '/customers', 404, undefined],
    ['another method on a known path', 'DELETE', '/orders', 405, 'POST'],
    ['a path with broken percent-encoding', 'GET', '/orders/%E0%A4%A', 400, undefined],
  ])('answers %s with a problem, carrying the request id', async (_case, method, url, status, allow) => {
    const { app } = await appWith([]);

    const answer = await app.inject({ method: method as 'GET', url, headers: { 'x-request-id': 'order-probe-1' } });

    expect(answer.statusCode).toBe(status);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answer.json()).toMatchObject({ status });
    expect(answer.headers.allow).toBe(allow);
    expect(answer.headers['x-request-id']).toBe('order-probe-1');
  });
});
