import { randomUUID } from 'node:crypto';
import { logLevel, type Admin } from 'kafkajs';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvroSerde } from '@evergreen/avro-serde';
import { createCachePopulator, userCacheHandlers } from '@evergreen/cache-populator';
import { ConsumerMetrics, createProjectionConsumer, deadLetterTopic, PoisonRecordError, RedisVersionedSink, RETRY_GROUP_HEADER, TopicSetupError, type Handler, type ProjectionConsumer, type Sink, type VersionedOperation } from '@evergreen/consumer';
import { createKafka, createLogger, loadStackConfig, pollUntil } from '@evergreen/platform';
import { eventCatalog, userAggregate } from '@evergreen/schemas';
import { readCachedUser, userKey } from '@evergreen/user-read-model';
import { sumOf } from './support/consumer-fixture.ts';
import { runDlqCli } from './support/dlq-cli.ts';
import { RecordTap } from './support/record-tap.ts';
import { lifecycleOf, ScratchTopic } from './support/scratch-topic.ts';

/** One record of a partition as compaction left it. */
interface Kept {
  offset: string;
  key: string;
  version: string | undefined;
  tombstone: boolean;
}

const logger = () => createLogger('e2e-replay-compaction', process.env.EVERGREEN_E2E_LOG_LEVEL ?? 'silent');

// Issue #10: a replayed dead letter must never become a compacted topic's snapshot of its key. The
// dead letters of v2 of two users (one now at v5, one deleted at v3) are replayed through the real
// command; compaction is then forced on the user topic. Had the replay gone back onto the user
// topic, compaction would keep each user's v2 (the highest offset of its key), and a fresh group
// would rebuild a stale user and a resurrected one.
describe('replaying dead letters on a compacted topic', () => {
  const config = loadStackConfig();
  const serde = AvroSerde.forRegistry(config.registry);
  const redis = new Redis({ host: config.redis.host, port: config.redis.port, db: config.redis.db });
  // One partition, so a handful of filler records rolls the segment that holds both users.
  const scratch = new ScratchTopic(config, serde, 1);
  const kafka = createKafka({ clientId: 'evergreen-e2e-compaction', brokers: config.kafka.brokers, logLevel: logLevel.ERROR });
  const admin: Admin = kafka.admin();
  const dlq = new RecordTap(config.kafka.brokers, deadLetterTopic(scratch.topic));
  const running: ProjectionConsumer[] = [];

  beforeAll(async () => {
    // Compaction as eager as the broker allows: a segment per 100 ms, cleaned as soon as 1% of the
    // log is dirty, every record at once, tombstones kept only a second once cleaned.
    await scratch.create({ 'cleanup.policy': 'compact', 'segment.ms': '100', 'min.cleanable.dirty.ratio': '0.01', 'min.compaction.lag.ms': '0', 'delete.retention.ms': '1000' });
    await Promise.all([admin.connect(), dlq.start()]);
  });
  afterAll(async () => {
    await Promise.all(running.map((consumer) => consumer.stop()));
    await Promise.all([dlq.stop(), admin.disconnect()]);
    await scratch.dispose();
    redis.disconnect();
  });

  /** Every record the topic's one partition holds now, read from its start in a throwaway group. */
  async function readPartition(topic: string): Promise<Kept[]> {
    const [end] = await admin.fetchTopicOffsets(topic);
    if (!end || end.high === end.low) return [];
    const kept: Kept[] = [];
    let done = false;
    const groupId = `e2e-compaction-reader-${randomUUID()}`;
    const reader = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    try {
      await reader.connect();
      await reader.subscribe({ topics: [topic], fromBeginning: true });
      await reader.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            kept.push({ offset: message.offset, key: message.key?.toString() ?? '', version: message.headers?.aggregateVersion?.toString(), tombstone: message.value === null });
          }
          if (BigInt(batch.lastOffset()) + 1n >= BigInt(end.high)) done = true;
        },
      });
      await pollUntil(() => done, { description: `${topic} to be read up to offset ${end.high}`, timeoutMs: 30_000, intervalMs: 50 });
    } finally {
      await reader.disconnect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
    return kept;
  }

  const highWatermark = async (topic: string) => (await admin.fetchTopicOffsets(topic)).map(({ high }) => high);
  const countOf = (registry: Registry, labels: Record<string, string>) => sumOf(registry, 'evergreen_consumer_records_total', labels);

  it('keeps the newest version per key after compaction, and the refusing group alone gets the replays', { timeout: 300_000 }, async () => {
    const current = randomUUID(); // v1..v5
    const deleted = randomUUID(); // v1, v2, deleted at v3
    const groupId = `e2e-refusing-${randomUUID()}`;

    // A populator with a bug: it refuses every version 2, so it dead-letters v2 of both users.
    const refuseV2 =
      <Payload,>(handler: Handler<VersionedOperation, Payload>): Handler<VersionedOperation, Payload> =>
      (event) => {
        if (event.aggregateVersion === 2) throw new PoisonRecordError('HANDLER_REJECTED', 'a bug: version 2 refused');
        return handler(event);
      };
    const buggy = createProjectionConsumer({
      name: 'buggy-populator',
      groupId,
      catalog: eventCatalog,
      aggregates: [userAggregate],
      topics: { user: scratch.topic },
      brokers: config.kafka.brokers,
      serde,
      handlers: { user: { ...userCacheHandlers, UserProfileUpdated: refuseV2(userCacheHandlers.UserProfileUpdated) } },
      sink: new RedisVersionedSink(redis),
      logger: logger(),
      metrics: new ConsumerMetrics(new Registry()),
      retry: { initialMs: 50, maxMs: 1_000 },
    });
    running.push(buggy);
    await buggy.start();
    await pollUntil(() => buggy.isReady(), { description: 'the buggy populator to join', timeoutMs: 30_000, intervalMs: 100 });

    // In one send, so all of it lands in one segment, which stays active (never compacted) until the next record.
    await scratch.produce([...lifecycleOf(current, 5), ...lifecycleOf(deleted, 2, true)]);
    await scratch.waitUntilCaughtUp(groupId);
    expect(await readCachedUser(redis, current)).toMatchObject({ state: 'present', entry: { version: 5 } });
    expect(await readCachedUser(redis, deleted)).toEqual({ state: 'deleted', version: 3 });

    const letters = await pollUntil(() => {
      const found = [...dlq.recordsFor(current), ...dlq.recordsFor(deleted)];
      return found.length === 2 ? found : undefined;
    }, { description: 'the dead letters of both v2', timeoutMs: 30_000, intervalMs: 100 });
    for (const letter of letters) expect(letter.headers).toMatchObject({ aggregateVersion: '2', 'dlq.group': groupId, 'dlq.topic': scratch.topic, 'dlq.reason': 'handler-rejected' });

    // The fix is deployed: the same group, every handler right.
    await buggy.stop();
    running.splice(running.indexOf(buggy), 1);
    const fixedRegistry = new Registry();
    const fixed = createCachePopulator({ brokers: config.kafka.brokers, topic: scratch.topic, groupId, redis, serde, logger: logger(), registry: fixedRegistry, retry: { initialMs: 50, maxMs: 1_000 } });
    running.push(fixed);
    await fixed.start();

    const topicEnd = await highWatermark(scratch.topic);
    const positions = letters.map((letter) => `${letter.partition}:${letter.offset}`);
    const replay = await runDlqCli(['replay', ...positions, '--topic', deadLetterTopic(scratch.topic)]);
    expect(replay.code, replay.stderr).toBe(0);
    const lines = replay.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(new RegExp(`^\\d+:\\d+ -> ${scratch.retryTopic}/0@\\d+ for ${groupId}$`));
    // Nothing went onto the compacted topic.
    expect(await highWatermark(scratch.topic)).toEqual(topicEnd);
    expect(await highWatermark(scratch.retryTopic)).toEqual(['2']);

    // The group that refused them read them, and found both older than what it has: v5, and the deletion at v3.
    await scratch.waitUntilCaughtUp(groupId);
    expect(await countOf(fixedRegistry, { topic: scratch.retryTopic, outcome: 'stale' })).toBe(2);
    expect(await countOf(fixedRegistry, { topic: scratch.retryTopic })).toBe(2);
    expect(await readCachedUser(redis, current)).toMatchObject({ state: 'present', entry: { version: 5 } });
    expect(await readCachedUser(redis, deleted)).toEqual({ state: 'deleted', version: 3 });

    // Force compaction: each filler record, written more than segment.ms after the last, rolls the
    // active segment, so the one holding both users becomes cleanable; wait until the cleaner ran.
    const compacted = await pollUntil(
      async () => {
        await scratch.produce([{ userId: randomUUID(), version: 1, eventType: 'UserRegistered' }]);
        const kept = await readPartition(scratch.topic);
        const ofCurrent = kept.filter((record) => record.key === current);
        const ofDeleted = kept.filter((record) => record.key === deleted);
        // Compacted: one record per key at most (the assertions below say which one survived).
        return ofCurrent.length === 1 && ofDeleted.length <= 1 ? { ofCurrent, ofDeleted } : undefined;
      },
      { description: `the log cleaner to compact ${scratch.topic} down to one record per user`, timeoutMs: 180_000, intervalMs: 500 },
    );
    // The survivor of each key is its newest event: v5, and the deletion (or nothing, once the tombstone is gone too).
    expect(compacted.ofCurrent.map(({ version }) => version)).toEqual(['5']);
    expect(compacted.ofDeleted.map(({ version, tombstone }) => ({ version, tombstone }))).toEqual(compacted.ofDeleted.length === 0 ? [] : [{ version: '3', tombstone: true }]);

    // A fresh group rebuilds the cache from the compacted topic; it reads past the replays addressed to the other group.
    await redis.del(userKey(current), userKey(deleted));
    const freshGroup = `e2e-fresh-${randomUUID()}`;
    const freshRegistry = new Registry();
    const fresh = createCachePopulator({ brokers: config.kafka.brokers, topic: scratch.topic, groupId: freshGroup, redis, serde, logger: logger(), registry: freshRegistry, retry: { initialMs: 50, maxMs: 1_000 } });
    running.push(fresh);
    await fresh.start();
    await scratch.waitUntilCaughtUp(freshGroup);

    expect(await readCachedUser(redis, current)).toMatchObject({ state: 'present', entry: { version: 5 } });
    expect((await readCachedUser(redis, deleted)).state).not.toBe('present');
    expect(await countOf(freshRegistry, { topic: scratch.retryTopic })).toBe(0);
    expect(await countOf(freshRegistry, { outcome: 'dead_lettered' })).toBe(0);

    // The retry records name the refusing group only.
    const retryTap = new RecordTap(config.kafka.brokers, scratch.retryTopic);
    await retryTap.start();
    try {
      for (const userId of [current, deleted]) {
        const [record] = await retryTap.waitForRecords(userId, 1);
        expect(record?.headers[RETRY_GROUP_HEADER]).toBe(groupId);
      }
    } finally {
      await retryTap.stop();
    }
  });
});

// The settings of a compacted topic are promises the consumers check at start and watch as they run.
describe('consumers against the compaction settings of their topic', () => {
  const config = loadStackConfig();
  const serde = AvroSerde.forRegistry(config.registry);
  const redis = new Redis({ host: config.redis.host, port: config.redis.port, db: config.redis.db });
  const scratches: ScratchTopic[] = [];
  const running: ProjectionConsumer[] = [];

  afterAll(async () => {
    await Promise.all(running.map((consumer) => consumer.stop()));
    await Promise.all(scratches.map((scratch) => scratch.dispose()));
    redis.disconnect();
  });

  async function scratchTopic(settings: Record<string, string>): Promise<ScratchTopic> {
    const scratch = new ScratchTopic(config, serde, 1);
    scratches.push(scratch);
    await scratch.create(settings);
    return scratch;
  }

  it('refuses to start a cache populator whose deletion marker (7 days) would not outlive the tombstones (delete.retention.ms 8 days)', async () => {
    const scratch = await scratchTopic({ 'cleanup.policy': 'compact', 'delete.retention.ms': String(8 * 86_400_000) });
    const populator = createCachePopulator({ brokers: config.kafka.brokers, topic: scratch.topic, groupId: `e2e-${randomUUID()}`, redis, serde, logger: logger(), registry: new Registry() });

    const refused = await populator.start().then(
      () => undefined,
      (error: unknown) => error,
    );
    if (refused === undefined) running.push(populator);

    expect(refused).toBeInstanceOf(TopicSetupError);
    expect(String(refused)).toContain(`deletion marker TTL (604800 s) does not outlive ${scratch.topic}'s delete.retention.ms (691200000 ms`);
  });

  it('reports a stuck consumer as behind, naming the partition, with a lag age that keeps growing', async () => {
    const scratch = await scratchTopic({ 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '3600000' });
    const registry = new Registry();
    // A store that never answers: the batch is retried, never skipped, and the partition falls behind.
    const away: Sink<VersionedOperation> = { apply: () => Promise.reject(new Error('store away')), probe: () => Promise.resolve() };
    const stuck = createProjectionConsumer({
      name: 'stuck-populator',
      groupId: `e2e-${randomUUID()}`,
      catalog: eventCatalog,
      aggregates: [userAggregate],
      topics: { user: scratch.topic },
      brokers: config.kafka.brokers,
      serde,
      handlers: { user: userCacheHandlers },
      sink: away,
      logger: logger(),
      metrics: new ConsumerMetrics(registry),
      retry: { initialMs: 50, maxMs: 200 },
      maxLagAgeMs: 1_500,
    });
    running.push(stuck);
    await stuck.start();
    await pollUntil(() => stuck.isReady(), { description: 'the stuck populator to join', timeoutMs: 30_000, intervalMs: 100 });
    expect(stuck.lagProblem()).toBeUndefined();

    await scratch.produce(lifecycleOf(randomUUID(), 1));

    const problem = await pollUntil(() => stuck.lagProblem(), { description: 'the stuck populator to report that it is behind', timeoutMs: 30_000, intervalMs: 100 });
    expect(problem).toMatch(new RegExp(`^behind what the topics keep: ${scratch.topic}/0 is \\d+ s behind \\(1 record\\(s\\)\\), past the limit of 2 s \\(EVERGREEN_CONSUMER_MAX_LAG_AGE_MS\\)$`));

    const ageOf = async () => (await registry.getSingleMetricAsString('evergreen_consumer_lag_age_seconds')).split('\n').find((line) => line.startsWith(`evergreen_consumer_lag_age_seconds{consumer="stuck-populator",topic="${scratch.topic}",partition="0"}`));
    const first = Number((await ageOf())?.split(' ').pop());
    await pollUntil(async () => Number((await ageOf())?.split(' ').pop()) >= first + 1, { description: 'the lag age to keep growing', timeoutMs: 10_000, intervalMs: 200 });
    expect(first).toBeGreaterThan(1.5);
  });
});
