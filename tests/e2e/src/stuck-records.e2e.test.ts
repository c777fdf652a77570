import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { logLevel, type Admin } from 'kafkajs';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvroSerde } from '@evergreen/avro-serde';
import { userCacheHandlers } from '@evergreen/cache-populator';
import { ConsumerMetrics, createProjectionConsumer, deadLetterTopic, RedisVersionedSink, type ProjectionConsumer, type Sink, type VersionedOperation } from '@evergreen/consumer';
import { createKafka, createLogger, loadStackConfig, pollUntil } from '@evergreen/platform';
import { readingUsers } from '@evergreen/schemas';
import { userKey } from '@evergreen/user-read-model';
import { sumOf } from './support/consumer-fixture.ts';
import { runDlqCli } from './support/dlq-cli.ts';
import { RecordTap, type TappedRecord } from './support/record-tap.ts';
import { ScratchTopic } from './support/scratch-topic.ts';

// Issue #21: a record the store refuses, a sink bug, and a record an operator must move aside. Each
// on a scratch topic with a consumer of its own: the record ends in the dead-letter topic with its
// reason, and the records behind it on its partition are applied.

const config = loadStackConfig();
const serde = AvroSerde.forUrl(config.registry.ccompatUrl);
const redis = new Redis({ host: config.redis.host, port: config.redis.port, db: config.redis.db, keyPrefix: config.redis.keyPrefix });

/** The cache populator's handlers on a scratch topic, writing through `sink`. */
function populatorThrough(topic: string, groupId: string, sink: Sink<VersionedOperation>, registry: Registry, unknownErrorBudgetMs: number): ProjectionConsumer {
  return createProjectionConsumer({
    name: 'e2e-stuck',
    groupId,
    ...readingUsers(topic),
    brokers: config.kafka.brokers,
    serde,
    handlers: { user: userCacheHandlers },
    sink,
    logger: createLogger('e2e-stuck', process.env.EVERGREEN_E2E_LOG_LEVEL ?? 'silent'),
    metrics: new ConsumerMetrics(registry),
    retry: { initialMs: 50, maxMs: 500, unknownErrorBudgetMs },
  });
}

/** A sink that fails, with what `failure` makes, every operation on the user `poisoned`, and writes the others to Redis. */
function sinkFailingFor(poisoned: string, failure: () => Error): Sink<VersionedOperation> {
  const real = new RedisVersionedSink(redis);
  return {
    async apply(operations) {
      if (operations.some(({ op }) => op.key === userKey(poisoned))) throw failure();
      return real.apply(operations);
    },
    probe: () => real.probe(),
  };
}

describe('records the store will not take', () => {
  const scratch = new ScratchTopic(config, serde, 1);
  const tap = new RecordTap(config.kafka.brokers, deadLetterTopic(scratch.topic));
  const admin: Admin = createKafka({ clientId: 'evergreen-e2e-stuck', brokers: config.kafka.brokers, logLevel: logLevel.ERROR }).admin();
  const running: ProjectionConsumer[] = [];

  beforeAll(async () => {
    await scratch.create();
    await Promise.all([tap.start(), admin.connect()]);
  });
  afterAll(async () => {
    await Promise.all(running.map((consumer) => consumer.stop()));
    await Promise.all([tap.stop(), admin.disconnect()]);
    await scratch.dispose();
    redis.disconnect();
  });

  async function started(consumer: ProjectionConsumer): Promise<ProjectionConsumer> {
    running.push(consumer);
    await consumer.start();
    return consumer;
  }

  const deadLetterFor = (userId: string, groupId: string) =>
    pollUntil(() => tap.recordsFor(userId).find((letter) => letter.headers['dlq.group'] === groupId), { description: `the dead letter of ${userId} from ${groupId}`, timeoutMs: 30_000, intervalMs: 100 });

  it('dead-letters a record Redis refuses (WRONGTYPE on its key) as store-rejected, and applies the records behind it on the partition', async () => {
    const groupId = `e2e-${randomUUID()}`;
    const [refused, before, after] = [randomUUID(), randomUUID(), randomUUID()];
    // Something else wrote a string where the cache keeps a hash: every write of this user fails.
    await redis.set(userKey(refused), 'not a hash');
    await started(populatorThrough(scratch.topic, groupId, new RedisVersionedSink(redis), new Registry(), 60_000));

    await scratch.produce([
      { userId: before, version: 1, eventType: 'UserRegistered' },
      { userId: refused, version: 1, eventType: 'UserRegistered' },
      { userId: after, version: 1, eventType: 'UserRegistered' },
    ]);

    try {
      const letter = await deadLetterFor(refused, groupId);
      expect(letter.headers).toMatchObject({ 'dlq.reason': 'store-rejected', eventType: 'UserRegistered' });
      expect(letter.headers['dlq.error']).toContain('WRONGTYPE');
      await scratch.waitUntilCaughtUp(groupId, 30_000);
      expect(await Promise.all([before, after].map((id) => redis.hget(userKey(id), 'version')))).toEqual(['1', '1']);
      expect(await redis.get(userKey(refused))).toBe('not a hash');
    } finally {
      // Not left for other suites, which read every user key of the namespace as a hash.
      await redis.del(userKey(refused));
    }
  });

  it('retries a sink bug within its budget, reporting the partition stuck, then dead-letters the record as retries-exhausted with the whole error, counted for the alert', async () => {
    const groupId = `e2e-${randomUUID()}`;
    const [buggy, after] = [randomUUID(), randomUUID()];
    const registry = new Registry();
    const consumer = await started(populatorThrough(scratch.topic, groupId, sinkFailingFor(buggy, () => new TypeError('op is not a function')), registry, 3_000));

    await scratch.produce([
      { userId: buggy, version: 1, eventType: 'UserRegistered' },
      { userId: after, version: 1, eventType: 'UserRegistered' },
    ]);

    // While it retries, the partition is reported stuck on exactly that record.
    const stuck = await pollUntil(() => consumer.stuckProblem(0), { description: 'the partition to be reported stuck', timeoutMs: 20_000, intervalMs: 50 });
    expect(stuck).toMatch(/apply: internal\)/);
    const letter = await deadLetterFor(buggy, groupId);
    expect(letter.headers['dlq.reason']).toBe('retries-exhausted');
    expect(letter.headers['dlq.error']).toMatch(/TypeError: op is not a function\n\s+at /);
    expect(await sumOf(registry, 'evergreen_consumer_dead_letters_total', { reason: 'retries-exhausted' })).toBe(1);
    await scratch.waitUntilCaughtUp(groupId, 30_000);
    expect(await redis.hget(userKey(after), 'version')).toBe('1');
    expect(consumer.stuckProblem(0)).toBeUndefined();
  });

  it('lets an operator park the record a group is stuck on (npm run dlq -- park): dead-lettered as parked, the partition moves on; refused for a record it is not stuck on', async () => {
    const groupId = `e2e-${randomUUID()}`;
    const [blocked, after] = [randomUUID(), randomUUID()];
    // Transient for ever, as far as the consumer can tell: it would retry until someone acts.
    const away = () => Object.assign(new Error('connect ECONNREFUSED 10.0.0.9:6379'), { code: 'ECONNREFUSED' });
    const consumer = await started(populatorThrough(scratch.topic, groupId, sinkFailingFor(blocked, away), new Registry(), 60_000));
    const [end] = await admin.fetchTopicOffsets(scratch.topic);
    const offset = end?.high as string;

    await scratch.produce([
      { userId: blocked, version: 1, eventType: 'UserRegistered' },
      { userId: after, version: 1, eventType: 'UserRegistered' },
    ]);
    // Retried as a batch at first, then halved down to the record the failure comes from.
    await pollUntil(() => consumer.stuckProblem(0)?.includes(`retrying from offset ${offset} `), { description: `the partition to be reported stuck on offset ${offset}`, timeoutMs: 20_000, intervalMs: 50 });

    const wrong = await runDlqCli(['park', groupId, `${scratch.topic}:0:${BigInt(offset as string) + 1n}`, '--wait-seconds', '5']);
    expect(wrong.code, wrong.stderr).toBe(3);
    expect(wrong.stderr).toContain('did not move past');

    const parked = await runDlqCli(['park', groupId, `${scratch.topic}:0:${offset}`]);
    expect(parked.code, parked.stderr).toBe(0);
    expect(parked.stdout).toContain(`parked ${scratch.topic}:0:${offset} for ${groupId}`);
    const letter: TappedRecord = await deadLetterFor(blocked, groupId);
    expect(letter.headers).toMatchObject({ 'dlq.reason': 'parked', 'dlq.offset': offset });
    expect(letter.headers['dlq.error']).toContain('ECONNREFUSED');
    await scratch.waitUntilCaughtUp(groupId, 30_000);
    expect(await redis.hget(userKey(after), 'version')).toBe('1');

    const past = await runDlqCli(['park', groupId, `${scratch.topic}:0:${offset}`]);
    expect(past.code).toBe(3);
    expect(past.stderr).toContain('already past');
  });
});
