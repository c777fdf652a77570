import { logLevel, type Admin } from 'kafkajs';
import { aggregateTopic, createKafka, pollUntil, type StackConfig } from '@evergreen/platform';

/**
 * Waits until a group has committed, on every partition of each topic, up to where the topic ends
 * now: everything produced so far was handled (applied, found stale or dead-lettered).
 */
export async function waitUntilGroupCaughtUp(admin: Admin, groupId: string, topics: readonly string[], timeoutMs = 60_000): Promise<void> {
  const ends = await Promise.all(topics.map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsets(topic) })));
  await pollUntil(
    async () => {
      for (const { topic, partitions } of ends) {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        const done = partitions.every(({ partition, high }) => high === '0' || BigInt(committed?.partitions.find((entry) => entry.partition === partition)?.offset ?? '-1') >= BigInt(high));
        if (!done) return false;
      }
      return true;
    },
    { description: `group ${groupId} to catch up with ${topics.join(' and ')}`, timeoutMs, intervalMs: 200 },
  );
}

/**
 * Positions a group that has not started at each topic's current end, so it begins with what is
 * produced next instead of replaying what earlier suites left (a service deployed long ago, or a
 * test that needs only its own records).
 */
export async function startGroupAtEnd(admin: Admin, groupId: string, topics: readonly string[]): Promise<void> {
  for (const topic of topics) {
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({ groupId, topic, partitions: ends.map(({ partition, high }) => ({ partition, offset: high })) });
  }
}

/**
 * The cache populator's group caught up with the user topic: a fresh group reads it from offset 0,
 * which earlier suites filled, so a ledger counts only what happened after this.
 */
export async function waitUntilPopulatorCaughtUp(config: StackConfig, timeoutMs = 120_000): Promise<void> {
  const admin = createKafka({ clientId: 'evergreen-e2e-caught-up', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await waitUntilGroupCaughtUp(admin, process.env.EVERGREEN_POPULATOR_GROUP ?? 'evergreen-cache-populator', [aggregateTopic(config, 'user')], timeoutMs);
  } finally {
    await admin.disconnect();
  }
}
