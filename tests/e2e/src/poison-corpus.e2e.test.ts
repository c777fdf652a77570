import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import kafkajs, { logLevel, type Admin, type Message, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvroSerde } from '@evergreen/avro-serde';
import { deadLetterTopic, retryTopic } from '@evergreen/consumer';
import { aggregateTopic, createKafka, createPool, loadStackConfig, pollUntil } from '@evergreen/platform';
import { topicSchema } from '@evergreen/schemas';
import { syntheticUserRecord } from '@evergreen/schemas/testing';
import { userKey } from '@evergreen/user-read-model';
import { orderKey } from '@evergreen/order-cache';
import { startGroupAtEnd, waitUntilGroupCaughtUp } from './support/caught-up.ts';
import { poisonKindsFor, type CorpusAggregate, type PoisonKind } from './support/poison-corpus.ts';
import { RecordTap, type TappedRecord } from './support/record-tap.ts';
import { spawnService, type ServiceProcess } from './support/service-process.ts';

// Issue #21: no record stops a partition. A corpus of malformed records of every kind, on both
// aggregates' topics, read by every consumer group the demo runs, as real service processes: each
// record ends in its topic's dead-letter topic, with a reason, for every group that reads it; each
// group's lag is back to 0 within 10 s; the valid records produced behind the corpus, on every
// partition, are applied.

const config = loadStackConfig();
const serde = AvroSerde.forUrl(config.registry.ccompatUrl);
const userTopic = aggregateTopic(config, 'user');
const orderTopic = aggregateTopic(config, 'order');
const run = randomUUID().slice(0, 8);
const groups = {
  populator: `${process.env.EVERGREEN_POPULATOR_GROUP}-poison-${run}`,
  activityLog: `${process.env.EVERGREEN_ACTIVITY_LOG_GROUP}-poison-${run}`,
  replica: `${process.env.EVERGREEN_ORDER_USERS_GROUP}-poison-${run}`,
  orderCache: `${process.env.EVERGREEN_ORDER_CACHE_GROUP}-poison-${run}`,
};
/** Which groups read each topic. */
const readers: Record<string, string[]> = {
  [userTopic]: [groups.populator, groups.activityLog, groups.replica, groups.orderCache],
  [orderTopic]: [groups.orderCache],
};
const LAG_ZERO_WITHIN_MS = 10_000;

/** One poison record as produced, with what may be said of it. */
interface Produced {
  kind: PoisonKind;
  topic: string;
  partition: number;
  offset: string;
}

function relayHeaders(eventType: string, version: number): Record<string, string> {
  return { id: randomUUID(), eventType, aggregateVersion: String(version) };
}

async function orderRecord(orderId: string, version = 1, userId = randomUUID()): Promise<Message> {
  const placed = {
    orderId,
    version,
    userId,
    status: 'PLACED',
    items: [{ sku: 'tea', quantity: 2, unitPriceCents: 450 }],
    totalCents: 900,
    currency: 'EUR',
    placedAt: Date.now(),
  };
  return { key: orderId, value: await serde.encode(topicSchema(config, 'order', 'OrderPlaced'), placed), headers: relayHeaders('OrderPlaced', version) };
}

async function userRecord(userId: string, version = 1): Promise<Message> {
  return syntheticUserRecord(serde, config, { userId, version, eventType: version === 1 ? 'UserRegistered' : 'UserProfileUpdated' });
}

describe('a corpus of malformed records, sent to every consumer group the demo runs', () => {
  const kafka = createKafka({ clientId: 'evergreen-e2e-poison', brokers: config.kafka.brokers, logLevel: logLevel.ERROR });
  const admin: Admin = kafka.admin();
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  const taps = [new RecordTap(config.kafka.brokers, deadLetterTopic(userTopic)), new RecordTap(config.kafka.brokers, deadLetterTopic(orderTopic))];
  const services: ServiceProcess[] = [];
  const redis = new Redis({ host: config.redis.host, port: config.redis.port, db: config.redis.db, keyPrefix: config.redis.keyPrefix });
  const pool = createPool(config.postgres);
  const ordersPool = createPool({ ...config.postgres, database: config.orders.database });

  beforeAll(async () => {
    await Promise.all([admin.connect(), producer.connect(), ...taps.map((tap) => tap.start())]);
    // Fresh groups that start where the topics end now: they read the corpus, not what earlier suites left.
    const both = [userTopic, retryTopic(userTopic), orderTopic, retryTopic(orderTopic)];
    await Promise.all([
      startGroupAtEnd(admin, groups.populator, [userTopic, retryTopic(userTopic)]),
      startGroupAtEnd(admin, groups.activityLog, [userTopic, retryTopic(userTopic)]),
      startGroupAtEnd(admin, groups.replica, [userTopic, retryTopic(userTopic)]),
      startGroupAtEnd(admin, groups.orderCache, both),
    ]);
    services.push(
      ...(await Promise.all([
        spawnService('cache-populator', { env: { EVERGREEN_POPULATOR_GROUP: groups.populator }, label: groups.populator }),
        spawnService('activity-log', { env: { EVERGREEN_ACTIVITY_LOG_GROUP: groups.activityLog }, label: groups.activityLog }),
        spawnService('order-service', { env: { EVERGREEN_ORDER_USERS_GROUP: groups.replica }, label: groups.replica }),
        spawnService('order-cache', { env: { EVERGREEN_ORDER_CACHE_GROUP: groups.orderCache }, label: groups.orderCache }),
      ])),
    );
  }, 180_000);

  afterAll(async () => {
    await Promise.all(services.map((service) => service.terminate().catch(() => service.kill())));
    await Promise.all([admin.disconnect(), producer.disconnect(), ...taps.map((tap) => tap.stop())]);
    await Promise.all([pool.end(), ordersPool.end()]);
    redis.disconnect();
  });

  it('dead-letters every kind for every group with a reason, every group is back to lag 0 within 10 s, and the records behind are applied', async () => {
    const partitionsOf = async (topic: string) => (await admin.fetchTopicOffsets(topic)).length;
    const maxRecordBytesOf = async (topic: string) => {
      const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: ['max.message.bytes'] }] });
      return Number(resources[0]?.configEntries[0]?.configValue ?? 1_048_588);
    };
    const aggregates: Array<{ topic: string; aggregate: CorpusAggregate; valid: (id: string) => Promise<Message> }> = [
      {
        topic: userTopic,
        aggregate: { type: 'user', valid: userRecord, otherEventType: 'UserProfileUpdated', tombstoneEventType: 'UserDeleted', foreign: (id) => orderRecord(id), maxRecordBytes: await maxRecordBytesOf(userTopic) },
        valid: userRecord,
      },
      {
        topic: orderTopic,
        aggregate: { type: 'order', valid: (id, version) => orderRecord(id, version), otherEventType: 'OrderCancelled', foreign: (id) => userRecord(id), maxRecordBytes: await maxRecordBytesOf(orderTopic) },
        valid: (id) => orderRecord(id),
      },
    ];

    // The corpus, each record on a partition in turn, so every partition holds poison; then a valid
    // record on every partition behind it.
    const produced: Produced[] = [];
    const behind: Array<{ topic: string; id: string }> = [];
    for (const { topic, aggregate, valid } of aggregates) {
      const partitions = await partitionsOf(topic);
      const kinds = poisonKindsFor(aggregate);
      for (const [index, kind] of kinds.entries()) {
        const message = await kind.build(aggregate);
        const partition = index % partitions;
        const [sent] = await producer.send({ topic, acks: -1, messages: [{ ...message, partition }] });
        produced.push({ kind, topic, partition, offset: sent?.baseOffset ?? '?' });
      }
      for (let partition = 0; partition < partitions; partition += 1) {
        const id = randomUUID();
        await producer.send({ topic, acks: -1, messages: [{ ...(await valid(id)), partition }] });
        behind.push({ topic, id });
      }
    }
    const producedAt = Date.now();

    // Every group back to lag 0 (committed up to the end of every partition), each timed.
    const lagZeroMs: Record<string, number> = {};
    await Promise.all(
      Object.values(groups).map(async (group) => {
        const topics = Object.keys(readers).filter((topic) => readers[topic]?.includes(group));
        await waitUntilGroupCaughtUp(admin, group, topics, LAG_ZERO_WITHIN_MS + 20_000);
        lagZeroMs[group] = Date.now() - producedAt;
      }),
    );
    console.log(`[poison corpus] ${produced.length} records (${new Set(produced.map((entry) => entry.kind.name)).size} kinds) × their groups; time to lag 0 per group (ms): ${JSON.stringify(lagZeroMs)}`);
    for (const [group, ms] of Object.entries(lagZeroMs)) expect(ms, `${group} took ${ms} ms to get back to lag 0`).toBeLessThanOrEqual(LAG_ZERO_WITHIN_MS);

    // Every record of the corpus, dead-lettered by every group that reads its topic, with a reason of its kind.
    const letters = (): TappedRecord[] => taps.flatMap((tap) => tap.all());
    const letterOf = (entry: Produced, group: string) =>
      letters().find(
        (letter) => letter.headers['dlq.group'] === group && letter.headers['dlq.topic'] === entry.topic && letter.headers['dlq.partition'] === String(entry.partition) && letter.headers['dlq.offset'] === entry.offset,
      );
    const expected = produced.flatMap((entry) => (readers[entry.topic] ?? []).map((group) => ({ entry, group })));
    await pollUntil(() => expected.every(({ entry, group }) => letterOf(entry, group) !== undefined), {
      description: 'a dead letter of every corpus record from every group that reads it',
      timeoutMs: 20_000,
      intervalMs: 200,
    }).catch(() => undefined);
    const wrong = expected.flatMap(({ entry, group }) => {
      const letter = letterOf(entry, group);
      const reason = letter?.headers['dlq.reason'];
      return reason !== undefined && entry.kind.reasons.includes(reason) ? [] : [`${entry.kind.name} (${entry.topic}) for ${group}: ${letter ? `reason ${reason}, expected ${entry.kind.reasons.join(' or ')} (${letter.headers['dlq.error']})` : 'no dead letter'}`];
    });
    expect(wrong, wrong.join('\n')).toEqual([]);
    expect(expected.length).toBeGreaterThanOrEqual(20 * 4);

    // The value too large for its dead letter went without it, saying where the record is.
    const oversized = produced.filter((entry) => entry.kind.name.startsWith('a value so large'));
    for (const entry of oversized) {
      for (const group of readers[entry.topic] ?? []) {
        const letter = letterOf(entry, group);
        expect(letter?.value ?? null).toBeNull();
        expect(letter?.headers['dlq.value-omitted']).toContain(`${entry.topic}/${entry.partition}@${entry.offset}`);
      }
    }

    // The valid records behind the corpus were applied by every projection.
    const users = behind.filter((entry) => entry.topic === userTopic).map((entry) => entry.id);
    const orders = behind.filter((entry) => entry.topic === orderTopic).map((entry) => entry.id);
    const cached = await Promise.all(users.map((id) => redis.hget(userKey(id), 'version')));
    expect(cached).toEqual(users.map(() => '1'));
    const { rows: logged } = await pool.query<{ user_id: string }>('SELECT DISTINCT user_id FROM user_activity WHERE user_id = ANY($1)', [users]);
    expect(logged.map((row) => row.user_id).sort()).toEqual([...users].sort());
    const { rows: replicated } = await ordersPool.query<{ id: string }>('SELECT id FROM user_replica WHERE id = ANY($1)', [users]);
    expect(replicated.map((row) => row.id).sort()).toEqual([...users].sort());
    const ordersCached = await Promise.all(orders.map((id) => redis.exists(orderKey(id))));
    expect(ordersCached).toEqual(orders.map(() => 1));
  });
});
