import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AvroSerde } from '@evergreen/avro-serde';
import { localStack } from '@evergreen/local-stack';
import { loadStackConfig, pollUntil } from '@evergreen/platform';
import { readCachedUser, userKey } from '@evergreen/user-read-model';
import { startPopulator, type ConsumerUnderTest } from './support/consumer-fixture.ts';
import { spawnPopulator } from './support/service-process.ts';
import { lifecycleOf, ScratchTopic, type SyntheticEvent } from './support/scratch-topic.ts';

const config = loadStackConfig();

/** What the cache must say about each user once every event was applied: the newest version wins. */
function expectedState(events: SyntheticEvent[]): Map<string, { version: number; deleted: boolean }> {
  const newest = new Map<string, { version: number; deleted: boolean }>();
  for (const event of events) {
    const current = newest.get(event.userId);
    if (!current || event.version > current.version) newest.set(event.userId, { version: event.version, deleted: event.eventType === 'UserDeleted' });
  }
  return newest;
}

async function expectCacheToMatch(redis: Redis, events: SyntheticEvent[]): Promise<void> {
  for (const [userId, { version, deleted }] of expectedState(events)) {
    const cached = await readCachedUser(redis, userId);
    if (deleted) expect(cached, userId).toEqual({ state: 'deleted', version });
    else expect(cached.state === 'present' && cached.entry.version, userId).toBe(version);
  }
}

// Issue #4: idempotent, ordered, never stale; nothing lost through outages, rebalances and shutdowns.
describe('the consumer framework on the real stack', () => {
  const serde = AvroSerde.forRegistry(config.registry);
  const redis = new Redis({ host: config.redis.host, port: config.redis.port, db: config.redis.db });
  // The outage test stops Redis on purpose; the reconnect attempts are expected, not news.
  redis.on('error', () => undefined);
  let scratch: ScratchTopic;
  const running: ConsumerUnderTest[] = [];
  const start = async (groupId?: string) => {
    const populator = await startPopulator(config, serde, redis, scratch.topic, groupId);
    running.push(populator);
    return populator;
  };

  afterEach(async () => {
    await Promise.all(running.splice(0).map((populator) => populator.consumer.stop()));
    await scratch?.dispose();
  });
  afterAll(() => {
    redis.disconnect();
  });

  it('leaves every entry at its newest version through duplicates, late old versions and a replay from offset 0', async () => {
    scratch = new ScratchTopic(config, serde);
    await scratch.create();
    const users = Array.from({ length: 20 }, () => randomUUID());
    const events = users.flatMap((userId, index) => lifecycleOf(userId, 3, index < 5));
    await scratch.produce(events);
    // Duplicates byte for byte, then late old versions: a v1 after v3, and a v2 after the deletion.
    const duplicates = await Promise.all(users.map((userId) => scratch.message({ userId, version: 3, eventType: 'UserProfileUpdated' })));
    await scratch.produceMessages(duplicates);
    const late = users.map((userId): SyntheticEvent => ({ userId, version: 1, eventType: 'UserRegistered', name: 'stale' }));
    await scratch.produce(late);

    const first = await start();
    await scratch.waitUntilCaughtUp(first.groupId);
    await expectCacheToMatch(redis, events);
    // The 20 duplicates of v3: the five deleted users' entries already sat at v4 (stale), the others at v3.
    expect(await first.count('stale')).toBe(duplicates.length + late.length);
    expect(await first.count('dead_lettered')).toBe(0);

    // The cache is lost; a new group replays the topic from offset 0 and rebuilds it exactly.
    await redis.del(...users.map(userKey));
    const replay = await start();
    await scratch.waitUntilCaughtUp(replay.groupId);
    await expectCacheToMatch(redis, events);
  });

  it('loses nothing when Redis stops in the middle of a stream and comes back', async () => {
    scratch = new ScratchTopic(config, serde);
    await scratch.create();
    const redisComponent = localStack(config).components.find((component) => component.name === 'redis');
    if (!redisComponent) throw new Error('no redis component');
    const populator = await start();
    const before = Array.from({ length: 30 }, () => randomUUID()).flatMap((userId) => lifecycleOf(userId, 2));
    await scratch.produce(before);
    await scratch.waitUntilCaughtUp(populator.groupId);

    await redisComponent.stop();
    try {
      const during = Array.from({ length: 30 }, () => randomUUID()).flatMap((userId) => lifecycleOf(userId, 2));
      await scratch.produce(during);
      // The framework is retrying, not skipping: nothing is committed while Redis is away.
      await pollUntil(async () => (await populator.retries()) > 0, { description: 'the populator to retry', timeoutMs: 30_000, intervalMs: 100 });
      await redisComponent.start();
      await scratch.waitUntilCaughtUp(populator.groupId);
      await expectCacheToMatch(redis, [...before, ...during]);
      expect(await populator.count('applied')).toBe(before.length + during.length);
    } finally {
      if (!(await redisComponent.isHealthy())) await redisComponent.start();
    }
  });

  it('shares the partitions between two instances of one group and, across rebalances mid-load, ends equal to the source', async () => {
    scratch = new ScratchTopic(config, serde);
    await scratch.create();
    const groupId = `e2e-${randomUUID()}`;
    const users = Array.from({ length: 300 }, () => randomUUID());
    const waves = [0, 1, 2].map((wave) => users.flatMap((userId) => lifecycleOf(userId, 3 * (wave + 1)).slice(3 * wave)));

    const a = await start(groupId);
    await scratch.produce(waves[0] ?? []);
    const b = await start(groupId); // rebalance: the partitions are split between a and b
    await scratch.produce(waves[1] ?? []);
    await pollUntil(async () => (await b.count('applied')) > 0, { description: 'the second instance to get partitions', timeoutMs: 60_000, intervalMs: 200 });
    await a.consumer.stop(); // rebalance again: b takes everything
    running.splice(running.indexOf(a), 1);
    await scratch.produce(waves[2] ?? []);
    await scratch.waitUntilCaughtUp(groupId);

    const all = waves.flat();
    await expectCacheToMatch(redis, all);
    // Each event applied at most once in total: a clean hand-over re-delivers nothing that was committed.
    expect((await a.count('applied')) + (await b.count('applied'))).toBe(all.length);
  });

  it('on SIGTERM in the middle of a load finishes its batch, commits and exits 0; the next instance loses and repeats nothing', async () => {
    scratch = new ScratchTopic(config, serde);
    await scratch.create();
    const groupId = `e2e-${randomUUID()}`;
    const events = Array.from({ length: 1_000 }, () => randomUUID()).flatMap((userId) => lifecycleOf(userId, 4));
    const child = await spawnPopulator({ prefix: scratch.prefix, groupId });
    try {
      await scratch.produce(events);
      await pollUntil(async () => (await child.applied()) > 0, { description: 'the child to apply something', timeoutMs: 60_000, intervalMs: 50 });
      const exit = await child.terminate();
      expect(exit).toEqual({ code: 0, signal: null });
    } finally {
      await child.kill();
    }

    const next = await start(groupId);
    await scratch.waitUntilCaughtUp(groupId);
    await expectCacheToMatch(redis, events);
    // Everything the first instance applied was committed before it left: nothing came back as stale.
    expect(await next.count('stale')).toBe(0);
  });
});
