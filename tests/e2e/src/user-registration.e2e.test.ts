import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unframe } from '@evergreen/avro-serde';
import { userKey } from '@evergreen/user-read-model';
import { withTransaction } from '@evergreen/platform';
import { topicSchema } from '@evergreen/schemas';
import { cacheEntryAt, startHarness, uniqueEmail, type Harness } from './support/harness.ts';

// Issue #2: POST /users → users row + outbox row in one transaction → Debezium → Kafka → populator → Redis.
describe('a registration travels from the API to the cache', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  async function register(body: Record<string, unknown>) {
    return h.app.inject({ method: 'POST', url: '/users', payload: body });
  }

  it('puts the registered user in Redis, through a record keyed by the user id with the event headers and an Avro value', async () => {
    const email = uniqueEmail('ada');
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const before = Date.now();
    const response = await h.app.inject({
      method: 'POST',
      url: '/users',
      headers: { traceparent },
      payload: { email, name: 'Ada Lovelace', avatarUrl: 'https://example.com/ada.png' },
    });
    const after = Date.now();
    expect(response.statusCode).toBe(201);
    const user = response.json<{ id: string; version: number }>();
    expect(user.version).toBe(1);

    const entry = await cacheEntryAt(h.redis, userKey(user.id), 1);
    expect(entry).toMatchObject({ id: user.id, email, name: 'Ada Lovelace', avatarUrl: 'https://example.com/ada.png', version: '1' });

    const [record, ...more] = await h.tap.waitForRecords(user.id, 1);
    expect(more).toHaveLength(0);
    expect(record?.key).toBe(user.id);
    expect(record?.headers.eventType).toBe('UserRegistered');
    expect(record?.headers.aggregateVersion).toBe('1');
    expect(record?.headers.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(entry.eventId).toBe(record?.headers.id);
    // The caller's trace context travels with the event, and the record is stamped with the commit-side time.
    expect(record?.headers.traceparent).toBe(traceparent);
    expect(record?.timestamp).toBeGreaterThanOrEqual(before);
    expect(record?.timestamp).toBeLessThanOrEqual(after);

    // Confluent wire format: magic byte 0, then the id the registry gave this schema's subject.
    const value = record?.value ?? Buffer.alloc(0);
    expect(value[0]).toBe(0);
    const schema = topicSchema(h.config, 'user', 'UserRegistered');
    expect(unframe(value).schemaId).toBe(await h.serde.schemaIdOf(schema));
    const decoded = await h.serde.decode<Record<string, unknown>>(value, [schema.type]);
    expect(decoded.value).toMatchObject({ userId: user.id, version: 1, email, name: 'Ada Lovelace', avatarUrl: 'https://example.com/ada.png' });
  });

  it('publishes nothing and caches nothing for a duplicate email, whatever its case', async () => {
    const email = uniqueEmail('dup');
    const first = await register({ email, name: 'First' });
    expect(first.statusCode).toBe(201);
    const secondName = `Second ${randomUUID()}`;
    const duplicate = await register({ email: email.toUpperCase(), name: secondName });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.headers['content-type']).toContain('application/problem+json');

    // A later registration is the marker: once it is in the cache, the relay has passed the failed one.
    const marker = await register({ email: uniqueEmail('marker'), name: 'Marker' });
    await cacheEntryAt(h.redis, userKey(marker.json<{ id: string }>().id), 1);

    const { rows } = await h.pool.query<{ name: string }>('SELECT name FROM users WHERE lower(email) = lower($1)', [email]);
    expect(rows.map((row) => row.name)).toEqual(['First']);
    const keys = await h.redis.keys('evergreen:user:*');
    const names = await Promise.all(keys.map((key) => h.redis.hget(key, 'name')));
    expect(names).not.toContain(secondName);
  });

  it('publishes nothing for a transaction that wrote its outbox row and then rolled back', async () => {
    const userId = randomUUID();
    const event = (version: number, name: string) => ({
      aggregateType: 'user',
      aggregateId: userId,
      eventType: 'UserRegistered',
      aggregateVersion: version,
      data: { userId, version, email: `${userId}@example.com`, name, avatarUrl: null, registeredAt: Date.now() },
    });
    await expect(
      withTransaction(h.pool, async (tx) => {
        await h.outbox.publish(tx, event(1, 'rolled back'));
        throw new Error('forced rollback after the outbox write');
      }),
    ).rejects.toThrow('forced rollback');
    // Same key, so the same partition: had the first been relayed, it would come before this one.
    await withTransaction(h.pool, (tx) => h.outbox.publish(tx, event(2, 'committed')));

    const records = await h.tap.waitForRecords(userId, 1);
    expect(records.map((record) => record.headers.aggregateVersion)).toEqual(['2']);
    expect(await cacheEntryAt(h.redis, userKey(userId), 2)).toMatchObject({ name: 'committed', version: '2' });
    const { rows } = await h.pool.query<{ count: string }>('SELECT count(*) FROM outbox WHERE aggregateid = $1', [userId]);
    expect(rows[0]?.count).toBe('0');
  });

  it('relays and applies several events of one user in commit order, and never moves the entry back', async () => {
    const userId = randomUUID();
    const versions = [1, 2, 3, 4, 5];
    for (const version of versions) {
      await withTransaction(h.pool, (tx) =>
        h.outbox.publish(tx, {
          aggregateType: 'user',
          aggregateId: userId,
          eventType: 'UserRegistered',
          aggregateVersion: version,
          data: { userId, version, email: `${userId}@example.com`, name: `name v${version}`, avatarUrl: null, registeredAt: Date.now() },
        }),
      );
    }
    const records = await h.tap.waitForRecords(userId, versions.length);
    expect(records.map((record) => Number(record.headers.aggregateVersion))).toEqual(versions);
    expect(new Set(records.map((record) => record.partition)).size).toBe(1);
    expect(await cacheEntryAt(h.redis, userKey(userId), 5)).toMatchObject({ name: 'name v5', version: '5' });

    // An older version arriving late (a replay, a redelivery) must not overwrite the newer entry.
    await withTransaction(h.pool, (tx) =>
      h.outbox.publish(tx, {
        aggregateType: 'user',
        aggregateId: userId,
        eventType: 'UserRegistered',
        aggregateVersion: 3,
        data: { userId, version: 3, email: `${userId}@example.com`, name: 'stale v3', avatarUrl: null, registeredAt: Date.now() },
      }),
    );
    const late = (await h.tap.waitForRecords(userId, versions.length + 1)).at(-1);
    if (!late) throw new Error('the late record was not relayed');
    await h.waitUntilConsumed(late);
    expect(await h.redis.hgetall(userKey(userId))).toMatchObject({ name: 'name v5', version: '5' });
  });
});
