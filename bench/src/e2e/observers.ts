import { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { createRedis, pollUntil, scanTargets, type StackConfig } from '@evergreen/platform';
import { USER_KEY_PREFIX } from '@evergreen/user-read-model';
import { epochMs } from './clock.ts';

/**
 * When each user's cache entry was written, from Redis keyspace notifications: the populator's
 * versioned write is an HSET on evergreen:user:<id>, and Redis publishes it as it executes, so the
 * moment is the apply itself, not a poll's. Keeps the first write per user.
 */
export class CacheApplyObserver {
  readonly appliedAt = new Map<string, number>();
  /** Per Redis node that holds keys (every primary of a Cluster, whose notifications are per node): its subscriber, and its setting before. */
  private readonly nodes: Array<{ admin: Redis; subscriber: Redis; previousNotifyConfig?: string }> = [];

  private constructor(private readonly config: StackConfig) {}

  static async start(config: StackConfig): Promise<CacheApplyObserver> {
    const observer = new CacheApplyObserver(config);
    await observer.subscribe();
    return observer;
  }

  private async subscribe(): Promise<void> {
    const client = createRedis(this.config.redis, { lazyConnect: true });
    await client.connect();
    const targets = scanTargets(client).map((node) => ({ host: node.options.host ?? this.config.redis.host, port: node.options.port ?? this.config.redis.port }));
    client.disconnect();
    // The keys as the populator writes them, its namespace's prefix included (the cluster profile's).
    const channelPrefix = `__keyspace@${this.config.redis.db}__:${this.config.redis.keyPrefix}${USER_KEY_PREFIX}`;
    for (const target of targets) {
      const admin = new Redis({ ...target, lazyConnect: true });
      const subscriber = new Redis({ ...target, lazyConnect: true });
      const node: (typeof this.nodes)[number] = { admin, subscriber };
      this.nodes.push(node);
      await admin.connect();
      await subscriber.connect();
      const [, flags] = (await admin.config('GET', 'notify-keyspace-events')) as [string, string];
      node.previousNotifyConfig = flags;
      // K: keyspace channels; h: hash commands. Restored on close.
      await admin.config('SET', 'notify-keyspace-events', [...new Set(`${flags}Kh`)].join(''));
      subscriber.on('pmessage', (_pattern: string, channel: string, command: string) => {
        if (command !== 'hset') return;
        const userId = channel.slice(channelPrefix.length);
        if (!this.appliedAt.has(userId)) this.appliedAt.set(userId, epochMs());
      });
      await subscriber.psubscribe(`${channelPrefix}*`);
    }
  }

  /** Resolves once every one of the users has been applied, or throws at the deadline. */
  async waitForAll(userIds: readonly string[], timeoutMs: number): Promise<void> {
    let from = 0;
    await pollUntil(
      async () => {
        while (from < userIds.length && this.appliedAt.has(userIds[from] as string)) from += 1;
        return from === userIds.length || undefined;
      },
      { description: `${userIds.length - from} of ${userIds.length} users to reach the cache`, timeoutMs, intervalMs: 20 },
    );
  }

  async close(): Promise<void> {
    for (const { admin, subscriber, previousNotifyConfig } of this.nodes) {
      if (previousNotifyConfig !== undefined) await admin.config('SET', 'notify-keyspace-events', previousNotifyConfig);
      subscriber.disconnect();
      admin.disconnect();
    }
  }
}

export type Offsets = Map<number, string>;

/** Each partition's end offset: where the records written from now on start. */
export async function endOffsets(kafka: Kafka, topic: string): Promise<Offsets> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => [partition, high]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * The broker's append time of every record written to the topic since `from`, by key (user id).
 * The topic is stamped with LogAppendTime in the benchmark's namespace, so a record's timestamp is
 * when the broker appended it, on this host's clock; reading it after the measurement keeps the
 * reader's own work out of it.
 */
export async function appendTimesSince(kafka: Kafka, topic: string, from: Offsets): Promise<Map<string, number>> {
  const to = await endOffsets(kafka, topic);
  const appended = new Map<string, number>();
  const remaining = new Map([...to].filter(([partition, end]) => BigInt(end) > BigInt(from.get(partition) ?? '0')));
  if (remaining.size === 0) return appended;
  const consumer = kafka.consumer({ groupId: `evergreen-bench-append-times-${process.pid}-${Date.now()}`, maxBytesPerPartition: 4 << 20 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const start = BigInt(from.get(batch.partition) ?? '0');
        for (const message of batch.messages) {
          if (BigInt(message.offset) < start) continue;
          const key = message.key?.toString();
          if (key !== undefined && !appended.has(key)) appended.set(key, Number(message.timestamp));
        }
        const end = remaining.get(batch.partition);
        if (end !== undefined && BigInt(batch.lastOffset()) + 1n >= BigInt(end)) remaining.delete(batch.partition);
      },
    });
    for (const [partition, end] of to) consumer.seek({ topic, partition, offset: remaining.has(partition) ? (from.get(partition) ?? '0') : end });
    await pollUntil(async () => remaining.size === 0 || undefined, { description: `append times of ${topic}`, timeoutMs: 120_000, intervalMs: 50 });
  } finally {
    await consumer.disconnect();
  }
  return appended;
}
