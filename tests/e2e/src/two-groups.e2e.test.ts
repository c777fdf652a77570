import { randomUUID } from 'node:crypto';
import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvroSerde } from '@evergreen/avro-serde';
import { ACTIVITY_LOG_CONSUMER } from '@evergreen/activity-log';
import { createPool, loadStackConfig, pollUntil } from '@evergreen/platform';
import { userKey } from '@evergreen/user-read-model';
import { startActivityLog, type ConsumerUnderTest } from './support/consumer-fixture.ts';
import { startHarness, uniqueEmail, type Harness } from './support/harness.ts';
import { lifecycleOf, ScratchTopic } from './support/scratch-topic.ts';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

interface ActivityRow {
  event_id: string;
  event_type: string;
  version: string;
  trace_id: string | null;
}

// Issue #4: a second service on the same topic, in its own group and its own store, sees every event.
describe('two consumer groups on the user topic', () => {
  let h: Harness;
  let activityLog: ConsumerUnderTest;

  beforeAll(async () => {
    h = await startHarness();
    activityLog = await startActivityLog(h.config, h.serde, h.pool, h.topic);
  });
  afterAll(async () => {
    await activityLog?.consumer.stop();
    await h?.close();
  });

  const activityOf = (userId: string) => h.pool.query<ActivityRow>('SELECT event_id, event_type, version, trace_id FROM user_activity WHERE user_id = $1 ORDER BY version', [userId]).then(({ rows }) => rows);

  it('the cache populator and the activity log each apply every event of a user, in order', async () => {
    const registered = await h.app.inject({ method: 'POST', url: '/users', headers: { traceparent: TRACEPARENT }, payload: { email: uniqueEmail('groups'), name: 'Two Groups' } });
    expect(registered.statusCode).toBe(201);
    const { id } = registered.json<{ id: string }>();
    expect((await h.app.inject({ method: 'PATCH', url: `/users/${id}`, headers: { 'if-match': '"1"' }, payload: { name: 'Two Groups, renamed' } })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'DELETE', url: `/users/${id}`, headers: { 'if-match': '"2"' } })).statusCode).toBe(204);
    const records = await h.tap.waitForRecords(id, 3);

    // The activity log: one row per event, with the relay's event ids, in version order.
    const rows = await pollUntil(async () => {
      const found = await activityOf(id);
      return found.length >= 3 ? found : undefined;
    }, { description: `three activity rows for ${id}`, timeoutMs: 30_000, intervalMs: 100 });
    // A write without a client traceparent gets a trace of its own (docs/tracing.md), one per request.
    const ownTrace = expect.stringMatching(/^(?!4bf92f3577b34da6a3ce929d0e0e4736)[0-9a-f]{32}$/);
    expect(rows).toEqual([
      { event_id: records[0]?.headers.id, event_type: 'UserRegistered', version: '1', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' },
      { event_id: records[1]?.headers.id, event_type: 'UserProfileUpdated', version: '2', trace_id: ownTrace },
      { event_id: records[2]?.headers.id, event_type: 'UserDeleted', version: '3', trace_id: ownTrace },
    ]);
    expect(rows[1]?.trace_id).not.toBe(rows[2]?.trace_id);

    // The populator, in its own group, saw the same three: the entry is the deletion's marker.
    const marker = await pollUntil(async () => {
      const entry = await h.redis.hgetall(userKey(id));
      return entry.deleted === '1' ? entry : undefined;
    }, { description: `the deletion of ${id} in the cache`, timeoutMs: 30_000, intervalMs: 100 });
    expect(marker.version).toBe('3');
  });
});

// The inbox: a counter has no version to compare, so only the recorded event ids keep a
// redelivery or a replay from counting twice. On a scratch topic, so the counts are this test's own.
describe('the activity log under redelivery and replay', () => {
  const config = loadStackConfig();
  const serde = AvroSerde.forRegistry(config.registry);
  const pool = createPool(config.postgres, { max: 4 });
  const scratch = new ScratchTopic(config, serde);
  const running: ConsumerUnderTest[] = [];
  // A day of its own (a commit time no real event has), so the counts checked are this test's.
  const day = new Date(Date.UTC(2001, 1, 3) + Math.floor(Math.random() * 3_000) * 86_400_000);

  beforeAll(async () => {
    await scratch.create();
  });
  afterAll(async () => {
    await Promise.all(running.map(({ consumer }) => consumer.stop()));
    await scratch.dispose();
    await pool.end();
  });

  async function start(groupId?: string): Promise<ConsumerUnderTest> {
    const started = await startActivityLog(config, serde, pool, scratch.topic, groupId);
    running.push(started);
    return started;
  }

  async function countsOn(when: Date): Promise<Record<string, number>> {
    const { rows } = await pool.query<{ event_type: string; events: string }>('SELECT event_type, events FROM user_activity_daily WHERE day = $1::date', [when.toISOString().slice(0, 10)]);
    return Object.fromEntries(rows.map((row) => [row.event_type, Number(row.events)]));
  }

  it('counts each event once however often it is delivered, and a new group replaying from offset 0 changes nothing', async () => {
    const users = [randomUUID(), randomUUID()];
    const messages: Message[] = [];
    for (const userId of users) {
      for (const event of lifecycleOf(userId, 2, true)) messages.push({ ...(await scratch.message(event)), timestamp: String(day.getTime()) });
    }
    const before = await countsOn(day);

    const first = await start();
    // Every record twice: the second copy has the same event id, as a redelivery would.
    await scratch.produceMessages(messages);
    await scratch.produceMessages(messages);
    await scratch.waitUntilCaughtUp(first.groupId);

    const expected = { UserRegistered: 2, UserProfileUpdated: 2, UserDeleted: 2 };
    const delta = (counts: Record<string, number>) => Object.fromEntries(Object.keys(expected).map((type) => [type, (counts[type] ?? 0) - (before[type] ?? 0)]));
    expect(delta(await countsOn(day))).toEqual(expected);
    expect(await first.count('applied')).toBe(6);
    expect(await first.count('stale')).toBe(6);
    const { rows } = await pool.query<{ rows: string }>('SELECT count(*) AS rows FROM user_activity WHERE user_id = ANY($1)', [users]);
    expect(rows[0]?.rows).toBe('6');

    // A replay: the same consumer (same inbox name) in a fresh group reads the topic from the start.
    const replay = await start();
    await scratch.waitUntilCaughtUp(replay.groupId);
    expect(await replay.count('applied')).toBe(0);
    expect(await replay.count('stale')).toBe(12);
    expect(delta(await countsOn(day))).toEqual(expected);
    const inbox = await pool.query<{ entries: string }>('SELECT count(*) AS entries FROM consumer_inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])', [
      ACTIVITY_LOG_CONSUMER,
      messages.map((message) => String((message.headers as Record<string, string>).id)),
    ]);
    expect(inbox.rows[0]?.entries).toBe('6');
  });
});
