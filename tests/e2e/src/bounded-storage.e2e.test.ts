import { randomUUID } from 'node:crypto';
import type { Message } from 'kafkajs';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvroSerde } from '@evergreen/avro-serde';
import { forgetInbox, PostgresInboxSink, pruneInbox, startInboxPruning, type ConsumedEvent } from '@evergreen/consumer';
import { repairUsers, userCacheProjection, userSource, verify, type Projection, type Source } from '@evergreen/consistency';
import { createLogger, createPool, drainInBatches, loadStackConfig, pollUntil } from '@evergreen/platform';
import { deleteOldUserDeletions } from '@evergreen/registration-api';
import { activeUserKeyspace, entryFields, readCachedUserStates } from '@evergreen/user-read-model';
import { startActivityLogWithInbox, type ConsumerUnderTest } from './support/consumer-fixture.ts';
import { startHarness, uniqueEmail, type Harness } from './support/harness.ts';
import { lifecycleOf, ScratchTopic } from './support/scratch-topic.ts';

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
    const source: Source = { read: (ids) => users.read(ids), known: (ids) => users.known(ids), async *stream() {} };
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

// The inbox of a counter (the activity log: a row per event, a count per day) on a scratch topic,
// under an inbox name of this run's own. A redelivery after pruning must count nothing twice (the
// log's row would collide on its event_id, and the record be dead-lettered).
describe('consumer_inbox is pruned, and each event is still applied once', () => {
  const config = loadStackConfig();
  const serde = AvroSerde.forUrl(config.registry.ccompatUrl);
  const pool = createPool(config.postgres, { max: 4 });
  const scratch = new ScratchTopic(config, serde);
  const inboxName = `e2e-inbox-${randomUUID()}`;
  const running: ConsumerUnderTest[] = [];
  // A day of its own (a commit time no real event has), so the counts checked are this test's.
  const day = new Date(Date.UTC(2003, 1, 3) + Math.floor(Math.random() * 3_000) * 86_400_000);

  beforeAll(async () => {
    await scratch.create();
  });
  afterAll(async () => {
    await Promise.all(running.map(({ consumer }) => consumer.stop()));
    await scratch.dispose();
    await forgetInbox(pool, inboxName);
    await pool.end();
  });

  async function start(): Promise<ConsumerUnderTest> {
    const started = await startActivityLogWithInbox(config, serde, pool, scratch.topic, inboxName);
    running.push(started);
    return started;
  }
  const messagesOf = async (users: string[]) => {
    const messages: Message[] = [];
    for (const userId of users) for (const event of lifecycleOf(userId, 2, true)) messages.push({ ...(await scratch.message(event)), timestamp: String(day.getTime()) });
    return messages;
  };
  async function counts(): Promise<Record<string, number>> {
    const { rows } = await pool.query<{ event_type: string; events: string }>('SELECT event_type, events FROM user_activity_daily WHERE day = $1::date', [day.toISOString().slice(0, 10)]);
    return Object.fromEntries(rows.map((row) => [row.event_type, Number(row.events)]));
  }
  const inboxRows = async () => Number((await pool.query<{ count: string }>('SELECT count(*) FROM consumer_inbox WHERE consumer = $1', [inboxName])).rows[0]?.count);

  it('folds pruned ids into their keys\' fences: a replay from offset 0 applies nothing again, a new event is applied', async () => {
    const users = [randomUUID(), randomUUID()];
    await scratch.produceMessages(await messagesOf(users));
    const first = await start();
    await scratch.waitUntilCaughtUp(first.groupId);
    expect(await first.count('applied')).toBe(6);
    const before = await counts();
    expect(before).toEqual({ UserRegistered: 2, UserProfileUpdated: 2, UserDeleted: 2 });
    await first.consumer.stop();

    // A window of 0: every row of this inbox is past it.
    const { deleted } = await drainInBatches((limit) => pruneInbox(pool, inboxName, 0, limit), { batchSize: 4 });

    expect(deleted).toBe(6);
    expect(await inboxRows()).toBe(0);
    const { rows: fences } = await pool.query<{ aggregate_id: string; version: string; topic: string }>(
      'SELECT aggregate_id, version, topic FROM consumer_inbox_fence WHERE consumer = $1 ORDER BY aggregate_id',
      [inboxName],
    );
    expect(fences).toEqual([...users].sort().map((aggregate_id) => ({ aggregate_id, version: '3', topic: scratch.topic })));

    // The same inbox in a fresh group: the whole topic again, from offset 0.
    const replay = await start();
    await scratch.waitUntilCaughtUp(replay.groupId);
    expect(await replay.count('applied')).toBe(0);
    expect(await replay.count('stale')).toBe(6);
    expect(await counts()).toEqual(before);
    const { rows } = await pool.query<{ rows: string }>('SELECT count(*) AS rows FROM user_activity WHERE user_id = ANY($1)', [users]);
    expect(rows[0]?.rows).toBe('6');

    // A key never seen, and a later version of a fenced one: both applied.
    const later = randomUUID();
    await scratch.produceMessages([...(await messagesOf([later])), { ...(await scratch.message({ userId: users[0] as string, version: 4, eventType: 'UserRegistered' })), timestamp: String(day.getTime()) }]);
    await scratch.waitUntilCaughtUp(replay.groupId);
    expect(await replay.count('applied')).toBe(4);
    expect(await counts()).toEqual({ UserRegistered: 4, UserProfileUpdated: 3, UserDeleted: 3 });
  });

  it('a redelivery that races the prune of its own id waits for it, then sees the fence it raised', async () => {
    const userId = randomUUID();
    const eventId = randomUUID();
    const event: ConsumedEvent = { eventId, eventType: 'UserRegistered', aggregateId: userId, aggregateVersion: 1, payload: null, headers: {}, topic: scratch.topic, partition: 0, offset: '0', occurredAt: day.getTime() };
    const sink = new PostgresInboxSink(pool, inboxName);
    const applied: string[] = [];
    const pending = (label: string) => [{ event, op: async () => void applied.push(label) }];
    expect(await sink.apply(pending('first'))).toEqual(['applied']);

    const pruner = await pool.connect();
    try {
      // The prune deletes the id and raises the fence, not committed yet.
      await pruner.query('BEGIN');
      expect(await pruneInbox(pruner, inboxName, 0, 10)).toBeGreaterThanOrEqual(1);
      const redelivered = sink.apply(pending('again'));
      // The redelivery's insert waits on the row being deleted.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await pruner.query('COMMIT');

      expect(await redelivered).toEqual(['stale']);
    } finally {
      await pruner.query('ROLLBACK').catch(() => undefined);
      pruner.release();
    }
    expect(applied).toEqual(['first']);
  });

  it('keeps every row younger than the window its topics\' dead letters and replays allow', async () => {
    const fresh = randomUUID();
    await scratch.produceMessages(await messagesOf([fresh]));
    const consumer = await start();
    await scratch.waitUntilCaughtUp(consumer.groupId);
    const rowsBefore = await inboxRows();
    expect(rowsBefore).toBeGreaterThanOrEqual(3);
    const registry = new Registry();
    const pruning = startInboxPruning({ pool, inboxName: () => inboxName, topics: [scratch.topic], brokers: config.kafka.brokers, registry, logger: createLogger('e2e-inbox', 'silent'), intervalMs: 3_600_000 });

    const run = await pruning.runOnce();
    await pruning.stop();

    expect(run.deleted).toBe(0);
    expect(await inboxRows()).toBe(rowsBefore);
    expect(await registry.metrics()).toMatch(/evergreen_retention_last_run_timestamp_seconds\{table="consumer_inbox"\} \d/);
  });
});
