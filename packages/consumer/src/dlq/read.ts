import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { pollUntil } from '@evergreen/platform';
import type { PartitionRange } from './positions.ts';
import type { StoredDeadLetter } from './stored.ts';

export interface ReadOptions {
  /** Reading all ranges to their end takes no longer than this, or it fails. */
  timeoutMs: number;
}

/**
 * Reads each range of a topic once, in offset order per partition, handing every record to
 * `onRecord`, and returns when every range was read to its end.
 *
 * kafkajs can only read through a consumer group. This one is throwaway: it commits nothing
 * (autoCommit off; a seek only moves the local position), leaves at the end and is then deleted,
 * so no group lingers, and no real consumer's offsets are touched.
 */
export async function readRanges(kafka: Kafka, admin: Admin, topic: string, ranges: readonly PartitionRange[], onRecord: (letter: StoredDeadLetter) => void, options: ReadOptions): Promise<void> {
  const pending = new Map(ranges.filter(({ from, to }) => BigInt(from) < BigInt(to)).map((range) => [range.partition, range]));
  if (pending.size === 0) return;
  const seen = new Set<string>();
  const groupId = `evergreen-dlq-cli-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250 });
  let crash: Error | undefined;
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) crash = payload.error;
  });

  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, pause }) => {
        const range = pending.get(batch.partition);
        if (!range) {
          // Not wanted, or already read to its end: stop fetching it.
          pause();
          return;
        }
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          const id = `${batch.partition}:${message.offset}`;
          // The seeks below land after the first fetch may have begun at the start: skip what is
          // outside the range, and what a seek delivers twice.
          if (offset < BigInt(range.from) || offset >= BigInt(range.to) || seen.has(id)) continue;
          seen.add(id);
          onRecord({ topic, partition: batch.partition, message });
        }
        if (BigInt(batch.lastOffset()) + 1n >= BigInt(range.to)) pending.delete(batch.partition);
      },
    });
    // Start each partition where its range starts rather than at the beginning of the topic.
    for (const { partition, from } of pending.values()) consumer.seek({ topic, partition, offset: from });

    const outcome = await pollUntil(() => crash ?? (pending.size === 0 ? 'done' : undefined), {
      description: `${topic} to be read up to its end offsets (partitions ${ranges.map(({ partition, to }) => `${partition}<${to}`).join(', ')})`,
      timeoutMs: options.timeoutMs,
      intervalMs: 50,
    });
    if (outcome instanceof Error) throw outcome;
  } finally {
    await consumer.disconnect();
    // Even without offsets, the broker keeps the empty group listed; delete it. Failing to is
    // only noise in the group list, not worth failing the command for.
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
}
