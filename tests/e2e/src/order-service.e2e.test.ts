import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AssignerProtocol, logLevel, type Admin } from 'kafkajs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicsOf } from '@evergreen/event-catalog';
import { createKafka, createPool, pollUntil } from '@evergreen/platform';
import { orderKey, userOrdersKey } from '@evergreen/order-cache';
import { orderAggregate } from '@evergreen/schemas';
import { startHarness, uniqueEmail, type Harness } from './support/harness.ts';
import { RecordTap } from './support/record-tap.ts';
import { spawnService, type ServiceProcess } from './support/service-process.ts';

// Seed 004: a service deployed weeks after the users' service began publishing, with the early
// events gone from any time-based retention, gets every user's state from the compacted user
// topic, keeps its own replica, and never calls the registration API.

const USERS = 1_000;
const DELETE_EVERY = 10;

interface Answer {
  status: number;
  contentType: string | null;
  body: Record<string, unknown>;
}

async function post(url: string, body?: unknown): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, contentType: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown> };
}

const anOrder = (userId: string) => ({ userId, currency: 'EUR', items: [{ sku: 'tea', quantity: 2, unitPriceCents: 450 }, { sku: 'cup', quantity: 1, unitPriceCents: 1200 }] });

describe('the order service, deployed after the users were published', () => {
  let h: Harness;
  let orders: pg.Pool;
  let admin: Admin;
  const services: ServiceProcess[] = [];
  const live: string[] = [];
  const deleted: string[] = [];
  const groupId = `${process.env.EVERGREEN_ORDER_USERS_GROUP ?? 'evergreen-e2e-order-service-users'}-${randomUUID()}`;

  async function register(): Promise<string> {
    const answer = await h.app.inject({ method: 'POST', url: '/users', payload: { email: uniqueEmail('order'), name: 'Orderer', avatarUrl: null } });
    if (answer.statusCode !== 201) throw new Error(`registration answered ${answer.statusCode}: ${answer.body}`);
    return (answer.json() as { id: string }).id;
  }

  async function remove(userId: string, version: number): Promise<void> {
    const answer = await h.app.inject({ method: 'DELETE', url: `/users/${userId}`, headers: { 'if-match': `"${version}"` } });
    if (answer.statusCode !== 204) throw new Error(`deletion answered ${answer.statusCode}: ${answer.body}`);
  }

  beforeAll(async () => {
    h = await startHarness();
    orders = createPool({ ...h.config.postgres, database: h.config.orders.database });
    admin = createKafka({ clientId: 'evergreen-e2e-orders-admin', brokers: h.config.kafka.brokers, logLevel: logLevel.ERROR }).admin();
    await admin.connect();

    // B publishes: 1,000 users, every tenth deleted again, all before C exists.
    for (let start = 0; start < USERS; start += 25) {
      const ids = await Promise.all(Array.from({ length: Math.min(25, USERS - start) }, () => register()));
      live.push(...ids);
    }
    for (let index = 0; index < live.length; index += DELETE_EVERY) deleted.push(live[index] as string);
    for (const userId of deleted) await remove(userId, 1);
    live.splice(0, live.length, ...live.filter((userId) => !deleted.includes(userId)));
    // Everything relayed before the order service starts: the registrations, and each deletion's tombstone.
    await pollUntil(() => live.every((userId) => h.tap.recordsFor(userId).length >= 1) && deleted.every((userId) => h.tap.recordsFor(userId).length >= 2), {
      description: `the ${USERS} registrations and ${deleted.length} deletions on ${h.topic}`,
      timeoutMs: 120_000,
      intervalMs: 250,
    });
  }, 300_000);

  afterAll(async () => {
    await Promise.all(services.map((service) => service.kill()));
    await admin?.disconnect();
    await orders?.end();
    await h?.close();
  });

  it("starts with a fresh group, and is ready only once its replica equals PostgreSQL's users", async () => {
    const service = await spawnService('order-service', { env: { EVERGREEN_ORDER_USERS_GROUP: groupId }, label: `orders-${groupId}` });
    services.push(service);

    // Read the moment /ready answered 200, before anything else is written.
    const [{ rows: replicated }, { rows: source }, { rows: gonePg }] = await Promise.all([
      orders.query<{ id: string; version: string }>('SELECT id, version FROM user_replica ORDER BY id'),
      h.pool.query<{ id: string; version: string }>('SELECT id, version FROM users ORDER BY id'),
      h.pool.query<{ id: string }>('SELECT id FROM user_deletions'),
    ]);
    // Other suites put synthetic users straight on the topic (records behind their poison), which
    // PostgreSQL never had; every user PostgreSQL knows, live or deleted, must be exactly as it is there.
    const known = new Set([...source.map((row) => row.id), ...gonePg.map((row) => row.id)]);
    const replica = replicated.filter((row) => known.has(row.id));
    expect(replica.length).toBeGreaterThanOrEqual(USERS - deleted.length);
    expect(replica).toEqual(source);
    const { rows: gone } = await orders.query('SELECT id FROM user_replica WHERE id = ANY($1::uuid[])', [deleted]);
    expect(gone).toEqual([]);
    // The bootstrap said how far it got, and that it got there.
    const log = readFileSync(service.log, 'utf8');
    expect(log).toMatch(/user replica bootstrap: \d+\/\d+ record\(s\)/);
    expect(log).toContain('user replica bootstrap: caught up with the end offsets seen at start');
  });

  it('takes an order for a user registered after it started within a second, without asking the registration API', async () => {
    const [service] = services;
    if (!service) throw new Error('the order service is not running');
    const userId = await register();
    const registeredAt = performance.now();

    const placed = await pollUntil(
      async () => {
        const answer = await post(`${service.url}/orders`, anOrder(userId));
        return answer.status === 201 ? answer : undefined;
      },
      { description: `an order for ${userId} to be taken`, timeoutMs: 5_000, intervalMs: 20 },
    );

    expect(performance.now() - registeredAt).toBeLessThan(1_000);
    expect(placed.body).toMatchObject({ userId, status: 'PLACED', totalCents: 2 * 450 + 1200, currency: 'EUR', version: 1 });
  });

  it('refuses, 422 naming the field, an order for a deleted or an unknown user', async () => {
    const [service] = services;
    if (!service) throw new Error('the order service is not running');

    for (const userId of [deleted[0] as string, randomUUID()]) {
      const answer = await post(`${service.url}/orders`, anOrder(userId));
      expect(answer.status).toBe(422);
      expect(answer.contentType).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ status: 422, errors: [{ field: 'userId', message: 'is not a known user' }] });
    }
    const { rows } = await orders.query('SELECT count(*)::int AS n FROM orders WHERE user_id = $1', [deleted[0]]);
    expect(rows[0]).toEqual({ n: 0 });
  });

  it('forgets a user deleted later; publishes each order and its cancellation, which the order cache keeps in Redis with the user\'s order ids', async () => {
    const [service] = services;
    if (!service) throw new Error('the order service is not running');
    const cache = await spawnService('order-cache', { env: { EVERGREEN_ORDER_CACHE_GROUP: `${process.env.EVERGREEN_ORDER_CACHE_GROUP ?? 'evergreen-e2e-order-cache'}-${randomUUID()}` } });
    services.push(cache);
    const orderTopic = topicsOf(h.config, [orderAggregate]).order;
    const tap = new RecordTap(h.config.kafka.brokers, orderTopic);
    await tap.start();
    try {
      const userId = live[0] as string;
      const placed = await post(`${service.url}/orders`, anOrder(userId));
      expect(placed.status).toBe(201);
      const orderId = placed.body.id as string;
      const cancelled = await post(`${service.url}/orders/${orderId}/cancel`);
      expect(cancelled.body).toMatchObject({ id: orderId, status: 'CANCELLED', version: 2 });
      expect((await post(`${service.url}/orders/${orderId}/cancel`)).status).toBe(409);

      const records = await tap.waitForRecords(orderId, 2);
      expect(records.map((record) => [record.headers.eventType, record.headers.aggregateVersion])).toEqual([
        ['OrderPlaced', '1'],
        ['OrderCancelled', '2'],
      ]);
      const entry = await pollUntil(async () => {
        const cached = await h.redis.hgetall(orderKey(orderId));
        return cached.version === '2' ? cached : undefined;
      }, { description: `the order cache to hold ${orderId} at version 2`, timeoutMs: 10_000, intervalMs: 50 });
      expect(entry).toMatchObject({ id: orderId, userId, status: 'CANCELLED', totalCents: '2100', currency: 'EUR' });
      expect(await h.redis.smembers(userOrdersKey(userId))).toEqual([orderId]);

      await remove(userId, 1);
      await pollUntil(async () => (await post(`${service.url}/orders`, anOrder(userId))).status === 422, {
        description: `the replica to forget ${userId}`,
        timeoutMs: 10_000,
        intervalMs: 50,
      });
      await pollUntil(async () => (await h.redis.exists(userOrdersKey(userId))) === 0, { description: `the order cache to forget ${userId}'s order ids`, timeoutMs: 10_000, intervalMs: 50 });
    } finally {
      await tap.stop();
    }
  });

  it('shares the partitions of its group between two instances', async () => {
    const second = await spawnService('order-service', { env: { EVERGREEN_ORDER_USERS_GROUP: groupId }, label: `orders-2-${groupId}` });
    services.push(second);

    const assignments = await pollUntil(
      async () => {
        const { groups } = await admin.describeGroups([groupId]);
        const members = groups[0]?.members ?? [];
        if (groups[0]?.state !== 'Stable' || members.length !== 2) return undefined;
        const partitions = members.map((member) => AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment[h.topic] ?? []);
        return partitions.every((owned) => owned.length > 0) ? partitions : undefined;
      },
      { description: `two members of ${groupId}, each with partitions of ${h.topic}`, timeoutMs: 60_000, intervalMs: 250 },
    );

    const all = assignments.flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: h.config.topics.partitions }, (_, index) => index));
  });
});
