import { randomUUID } from 'node:crypto';
import { logLevel, Partitioners, type IHeaders, type Message, type Producer } from 'kafkajs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvroSerde, frame } from '@evergreen/avro-serde';
import { DEAD_LETTER_HEADERS, deadLetterTopic, RETRY_GROUP_HEADER, retryTopic, type ProjectionConsumer } from '@evergreen/consumer';
import { createKafka, loadStackConfig, pollUntil } from '@evergreen/platform';
import { topicSchema, type TopicSchema } from '@evergreen/schemas';
import { readCachedUser, userKey } from '@evergreen/user-read-model';
import { startPopulator } from './support/consumer-fixture.ts';
import { olderPopulator } from './support/older-populator.ts';
import { runDlqCli } from './support/dlq-cli.ts';
import { cacheEntryAt, startHarness, type Harness } from './support/harness.ts';
import { RecordTap, type TappedRecord } from './support/record-tap.ts';
import { ScratchTopic } from './support/scratch-topic.ts';

/** The state a UserRegistered of `userId` at version 1 carries. */
const registration = (userId: string) => ({
  userId,
  version: 1,
  email: `${userId}@example.com`,
  name: 'Dead Letter',
  avatarUrl: null,
  registeredAt: 1_700_000_000_000,
});

const relayHeaders = (eventType: string, version = 1): Record<string, string> => ({ id: randomUUID(), eventType, aggregateVersion: String(version) });

interface PoisonCase {
  name: string;
  reason: string;
  /** A fragment of dlq.error. */
  error: string;
  /** The poison record for this key, as a producer would send it. */
  poison(userId: string): Promise<Message>;
}

// Issue #4: every kind of poison goes to <topic>.dlq with the right reason, and the partition moves on.
describe('poison records on the user topic', () => {
  let h: Harness;
  let dlq: RecordTap;
  let retry: RecordTap;
  let producer: Producer;
  let registered: TopicSchema;

  beforeAll(async () => {
    h = await startHarness();
    registered = topicSchema(h.config, 'user', 'UserRegistered');
    dlq = new RecordTap(h.config.kafka.brokers, deadLetterTopic(h.topic));
    retry = new RecordTap(h.config.kafka.brokers, retryTopic(h.topic));
    // The relay's (Java) partitioner, so each key lands where Debezium would put it.
    producer = createKafka({ clientId: 'evergreen-e2e-poison', brokers: h.config.kafka.brokers, logLevel: logLevel.ERROR }).producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await Promise.all([dlq.start(), retry.start(), producer.connect()]);
  });
  afterAll(async () => {
    await Promise.all([dlq?.stop(), retry?.stop(), producer?.disconnect()]);
    await h?.close();
  });

  /** A valid UserRegistered at version 1, as the relay would have produced it. */
  async function validRegistration(userId: string): Promise<Message> {
    return { key: userId, value: await h.serde.encode(registered, registration(userId)), headers: relayHeaders('UserRegistered') };
  }

  /** The dead letter the populator wrote for `record` (of the user topic or of its retry topic). */
  const deadLetterOf = (record: TappedRecord) =>
    pollUntil(() => dlq.recordsFor(record.key ?? '').find((letter) => letter.headers['dlq.topic'] === record.topic && letter.headers['dlq.offset'] === record.offset && letter.headers['dlq.partition'] === String(record.partition)), {
      description: `the dead letter of ${record.topic}/${record.partition}@${record.offset}`,
      timeoutMs: 30_000,
      intervalMs: 100,
    });

  const cases: PoisonCase[] = [
    {
      name: 'a value without the magic byte',
      reason: 'bad-magic-byte',
      error: 'magic byte',
      poison: async (userId) => {
        const valid = await validRegistration(userId);
        return { ...valid, value: Buffer.concat([Buffer.from([1]), (valid.value as Buffer).subarray(1)]) };
      },
    },
    {
      name: 'a valid frame with a schema id the registry does not know',
      reason: 'unknown-schema',
      error: 'schema id 999999',
      poison: async (userId) => ({ key: userId, value: frame(999_999, registered.type.toBuffer(registration(userId))), headers: relayHeaders('UserRegistered') }),
    },
    {
      name: 'an Avro body that does not decode with its real schema id',
      reason: 'undecodable',
      error: 'not valid Avro',
      poison: async (userId) => {
        const body = registered.type.toBuffer(registration(userId));
        return { key: userId, value: frame(await h.serde.schemaIdOf(registered), body.subarray(0, 10)), headers: relayHeaders('UserRegistered') };
      },
    },
    {
      name: 'a record without its id/eventType/aggregateVersion headers',
      reason: 'missing-metadata',
      error: 'lacks its key or the id/eventType/aggregateVersion headers',
      poison: async (userId) => ({ ...(await validRegistration(userId)), headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } }),
    },
    {
      name: 'an event type the aggregate does not declare',
      reason: 'unknown-event-type',
      error: '"UserRenamed" is not an event type of aggregate user',
      poison: async (userId) => ({ ...(await validRegistration(userId)), headers: relayHeaders('UserRenamed') }),
    },
    {
      name: 'a payload whose userId is not the record key',
      reason: 'payload-mismatch',
      error: 'differs from the record key',
      poison: async (userId) => ({ key: userId, value: await h.serde.encode(registered, registration(randomUUID())), headers: relayHeaders('UserRegistered') }),
    },
    {
      name: 'a UserRegistered without a payload',
      reason: 'payload-mismatch',
      error: 'UserRegistered without a payload',
      poison: async (userId) => ({ key: userId, value: null, headers: relayHeaders('UserRegistered') }),
    },
    {
      name: 'a UserDeleted tombstone event with a payload',
      reason: 'payload-mismatch',
      error: 'UserDeleted with a payload',
      poison: async (userId) => ({ ...(await validRegistration(userId)), headers: relayHeaders('UserDeleted', 2) }),
    },
  ];

  it.each(cases)('dead-letters $name ($reason) with its origin, and applies the valid event behind it on the same partition', async ({ reason, error, poison }) => {
    const userId = randomUUID();
    const bad = await poison(userId);
    const good = await validRegistration(userId);
    // One send, one key: both land on one partition, the poison first.
    await producer.send({ topic: h.topic, acks: -1, messages: [bad, good] });

    const [poisonRecord, validRecord] = await h.tap.waitForRecords(userId, 2);
    if (!poisonRecord || !validRecord) throw new Error('the tap lost a record');
    expect(validRecord.partition).toBe(poisonRecord.partition);
    expect(BigInt(validRecord.offset)).toBeGreaterThan(BigInt(poisonRecord.offset));

    const letter = await deadLetterOf(poisonRecord);
    expect(letter.headers).toMatchObject({ 'dlq.reason': reason, 'dlq.group': h.populatorGroupId, 'dlq.topic': h.topic, 'dlq.partition': String(poisonRecord.partition), 'dlq.offset': poisonRecord.offset, 'dlq.timestamp': String(poisonRecord.timestamp) });
    expect(letter.headers['dlq.error']).toContain(error);
    expect(Date.parse(letter.headers['dlq.at'] ?? '')).not.toBeNaN();
    // The original key, value and headers, untouched; the same partition number, by the same partitioner.
    expect(letter.key).toBe(userId);
    expect(letter.value).toEqual(poisonRecord.value);
    expect(letter.headers).toMatchObject(poisonRecord.headers);
    expect(letter.partition).toBe(poisonRecord.partition);

    // The partition moved on: the valid event behind the poison reached the cache.
    await h.waitUntilConsumed(validRecord);
    expect(await cacheEntryAt(h.redis, userKey(userId), 1)).toEqual({
      id: userId,
      email: `${userId}@example.com`,
      name: 'Dead Letter',
      avatarUrl: '',
      registeredAt: '1700000000000',
      updatedAt: '1700000000000',
      version: '1',
      eventId: validRecord.headers.id,
    });
  });

  it('lists a dead letter and replays it, as it was, onto the retry topic for the group that refused it, which handles it again; the user topic is not written', async () => {
    const userId = randomUUID();
    const headers = { ...relayHeaders('UserRenamed'), traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
    await producer.send({ topic: h.topic, acks: -1, messages: [{ ...(await validRegistration(userId)), headers }] });
    const [original] = await h.tap.waitForRecords(userId, 1);
    if (!original) throw new Error('the tap lost a record');
    const letter = await deadLetterOf(original);
    const position = `${letter.partition}:${letter.offset}`;

    const listed = await runDlqCli(['list', '--topic', deadLetterTopic(h.topic)]);
    expect(listed.code, listed.stderr).toBe(0);
    const line = listed.stdout.split('\n').find((candidate) => candidate.startsWith(`${position} `));
    expect(line).toBeDefined();
    expect(line).toMatch(new RegExp(`^${position}\\s+unknown-event-type\\s+${h.topic}/${original.partition}@${original.offset}\\s+group=${h.populatorGroupId}\\s+key=${userId}\\s+UserRenamed\\s+"UserRenamed" is not an event type of aggregate user$`));

    const topicEnds = await offsetsOf(h.topic);
    const replay = await runDlqCli(['replay', position, '--topic', deadLetterTopic(h.topic)]);
    expect(replay.code, replay.stderr).toBe(0);

    // On the retry topic: the same key, partition number and value, the original headers without
    // dlq.*, plus where it came from and the group it is for.
    const [replayed] = await retry.waitForRecords(userId, 1);
    if (!replayed) throw new Error('the tap lost a record');
    expect(replay.stdout.trim()).toBe(`${position} -> ${retryTopic(h.topic)}/${replayed.partition}@${replayed.offset} for ${h.populatorGroupId}`);
    expect(replayed.partition).toBe(original.partition);
    expect(replayed.key).toBe(userId);
    expect(replayed.value).toEqual(original.value);
    expect(replayed.headers).toEqual({ ...original.headers, 'dlq.replayed-from': `${deadLetterTopic(h.topic)}/${letter.partition}@${letter.offset}`, [RETRY_GROUP_HEADER]: h.populatorGroupId });
    for (const name of DEAD_LETTER_HEADERS) expect(Object.keys(replayed.headers)).not.toContain(name);
    // Never the compacted user topic, where it would outlive every newer event of its key.
    expect(await offsetsOf(h.topic)).toEqual(topicEnds);

    // The populator handled it again: still no handler for UserRenamed, so a new dead letter, on
    // the same dead-letter topic, names the replayed record.
    const again = await deadLetterOf(replayed);
    expect(again.topic).toBe(deadLetterTopic(h.topic));
    expect(again.headers).toMatchObject({ 'dlq.reason': 'unknown-event-type', 'dlq.topic': retryTopic(h.topic), 'dlq.group': h.populatorGroupId, 'dlq.replayed-from': `${deadLetterTopic(h.topic)}/${letter.partition}@${letter.offset}` });
    await h.waitUntilConsumed(replayed);
  });

  it('refuses to replay a dead letter that does not say which group refused it, until the operator names the group', async () => {
    const userId = randomUUID();
    const valid = await validRegistration(userId);
    // A dead letter as an older framework, or a hand, wrote it: no dlq.group.
    const [sent] = await producer.send({
      topic: deadLetterTopic(h.topic),
      acks: -1,
      messages: [{ ...valid, headers: { ...(valid.headers as Record<string, string>), 'dlq.reason': 'rejected', 'dlq.error': 'by hand', 'dlq.topic': h.topic, 'dlq.partition': '0', 'dlq.offset': '0' } }],
    });
    if (!sent) throw new Error('the broker acknowledged nothing');
    const position = `${sent.partition}:${sent.baseOffset}`;
    const retryEnds = await offsetsOf(retryTopic(h.topic));

    const refused = await runDlqCli(['replay', position, '--topic', deadLetterTopic(h.topic)]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`${deadLetterTopic(h.topic)} ${position} cannot be replayed: it has no dlq.group header`);
    expect(await offsetsOf(retryTopic(h.topic))).toEqual(retryEnds);

    const replay = await runDlqCli(['replay', position, '--topic', deadLetterTopic(h.topic), '--group', h.populatorGroupId]);
    expect(replay.code, replay.stderr).toBe(0);
    const [replayed] = await retry.waitForRecords(userId, 1);
    expect(replayed?.headers[RETRY_GROUP_HEADER]).toBe(h.populatorGroupId);
    // The named group applied it.
    expect(await cacheEntryAt(h.redis, userKey(userId), 1)).toMatchObject({ version: '1', eventId: (valid.headers as Record<string, string>).id });
  });

  it('refuses to replay offsets the dead-letter topic does not hold, and publishes nothing', async () => {
    const before = [...(await offsetsOf(h.topic)), ...(await offsetsOf(retryTopic(h.topic)))];

    const refused = await runDlqCli(['replay', '0:999999999', '99:0', '--topic', deadLetterTopic(h.topic)]);

    expect(refused.code).toBe(3);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(`${deadLetterTopic(h.topic)} 0:999999999: past the end of the partition`);
    expect(refused.stderr).toContain(`${deadLetterTopic(h.topic)} 99:0: the topic has no partition 99`);
    expect([...(await offsetsOf(h.topic)), ...(await offsetsOf(retryTopic(h.topic)))]).toEqual(before);
  });

  async function offsetsOf(topic: string): Promise<string[]> {
    const admin = createKafka({ clientId: 'evergreen-e2e-offsets', brokers: h.config.kafka.brokers, logLevel: logLevel.ERROR }).admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition).map(({ high }) => high);
    } finally {
      await admin.disconnect();
    }
  }
});

// A consumer deployed before an event type existed dead-letters that type's events; once it is
// upgraded, replaying them applies them. On a scratch topic, so that nothing else applies them first.
describe('replaying a dead letter whose cause was fixed', () => {
  const config = loadStackConfig();
  const serde = AvroSerde.forRegistry(config.registry);
  const redis = new Redis({ host: config.redis.host, port: config.redis.port, db: config.redis.db });
  const scratch = new ScratchTopic(config, serde);
  const running: ProjectionConsumer[] = [];

  beforeAll(async () => {
    await scratch.create();
  });
  afterAll(async () => {
    await Promise.all(running.map((consumer) => consumer.stop()));
    await scratch.dispose();
    redis.disconnect();
  });

  it('applies the replayed event in the upgraded consumer', async () => {
    const groupId = `e2e-${randomUUID()}`;
    const old = olderPopulator(config, serde, redis, scratch.topic, groupId);
    running.push(old);
    await old.start();

    const userId = randomUUID();
    const update = await scratch.message({ userId, version: 2, eventType: 'UserProfileUpdated', name: 'After the upgrade' });
    await scratch.produce([{ userId, version: 1, eventType: 'UserRegistered', name: 'Before' }]);
    await scratch.produceMessages([update]);
    await scratch.waitUntilCaughtUp(groupId);
    expect(await readCachedUser(redis, userId)).toMatchObject({ state: 'present', entry: { version: 1, name: 'Before' } });
    await old.stop();
    running.splice(running.indexOf(old), 1);

    // The upgrade: the same group, every schema and handler. It starts after what the old one committed.
    const upgraded = await startPopulator(config, serde, redis, scratch.topic, groupId);
    running.push(upgraded.consumer);
    await pollUntil(() => upgraded.consumer.isReady(), { description: 'the upgraded populator to join', timeoutMs: 30_000, intervalMs: 100 });

    const listed = await runDlqCli(['list', '--topic', deadLetterTopic(scratch.topic)]);
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^\\d+:\\d+\\s+unknown-event-type\\s+${scratch.topic}/\\d+@\\d+\\s+group=${groupId}\\s+key=${userId}\\s+UserProfileUpdated\\s+"UserProfileUpdated" is not an event type of aggregate user`));

    const replay = await runDlqCli(['replay', (lines[0] ?? '').split(' ')[0] ?? '', '--topic', deadLetterTopic(scratch.topic)]);
    expect(replay.code, replay.stderr).toBe(0);

    const entry = await cacheEntryAt(redis, userKey(userId), 2);
    expect(entry).toMatchObject({ version: '2', name: 'After the upgrade', eventId: String((update.headers as IHeaders).id) });
    await scratch.waitUntilCaughtUp(groupId);
    expect(await upgraded.count('applied')).toBe(1);
    expect(await upgraded.count('dead_lettered')).toBe(0);
  });
});
