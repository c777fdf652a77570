export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * Where a commit goes: the kafkajs consumer, or, inside eachBatch, the batch's own
 * commitOffsetsIfNecessary. Once a stop has begun kafkajs drops a consumer-level commit without a
 * word (its runner is no longer running) while it waits for the batches in flight to finish; those
 * batches' commits must go through the batch.
 */
export interface OffsetCommitTarget {
  commitOffsets(offsets: PartitionOffset[]): Promise<void>;
}

/** kafkajs' shape for a batch's commitOffsetsIfNecessary. */
export function byTopic(offsets: readonly PartitionOffset[]): { topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> } {
  const topics = new Map<string, Array<{ partition: number; offset: string }>>();
  for (const { topic, partition, offset } of offsets) topics.set(topic, [...(topics.get(topic) ?? []), { partition, offset }]);
  return { topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) };
}

/**
 * Commits the group's progress at most once per interval, instead of after every batch as kafkajs'
 * autoCommit does. With the relay polling every 10 ms, batches are small and frequent: a commit
 * per batch was an OffsetCommit request per partition and fetch, which the broker and the consumer
 * paid for on every record's way (docs/performance.md). What is not committed yet is only
 * re-applied after a crash or a rebalance, which the projections' version fences make harmless;
 * a graceful stop flushes. Only offsets of records the sink acknowledged are ever recorded.
 */
export class OffsetCommitter {
  /** The next offset to read, per partition, not committed yet. */
  private readonly pending = new Map<string, PartitionOffset>();
  private lastCommitAt = 0;
  private committing: Promise<void> = Promise.resolve();

  constructor(
    private readonly target: OffsetCommitTarget,
    readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Every record of the partition before `nextOffset` is applied. */
  progressed(topic: string, partition: number, nextOffset: string): void {
    const key = `${topic}\u0000${partition}`;
    const current = this.pending.get(key);
    if (current && BigInt(current.offset) >= BigInt(nextOffset)) return;
    this.pending.set(key, { topic, partition, offset: nextOffset });
  }

  /** After a rebalance: forget partitions this member no longer owns, so it never commits over their new owner. */
  keepOnly(assignment: Readonly<Record<string, readonly number[]>>): void {
    for (const [key, { topic, partition }] of this.pending) {
      if (!(assignment[topic] ?? []).includes(partition)) this.pending.delete(key);
    }
  }

  /** Commits what is pending when the interval has passed since the last commit. */
  async commitIfDue(target: OffsetCommitTarget = this.target): Promise<void> {
    if (this.pending.size === 0 || this.now() - this.lastCommitAt < this.intervalMs) return;
    await this.flush(target);
  }

  /** Commits what is pending now; one commit at a time, so an older one never lands after a newer one. */
  flush(target: OffsetCommitTarget = this.target): Promise<void> {
    // The queue goes on after a failed commit; the caller of that commit got its error.
    this.committing = this.committing.catch(() => undefined).then(async () => {
      if (this.pending.size === 0) return;
      const offsets = [...this.pending.values()];
      this.pending.clear();
      this.lastCommitAt = this.now();
      try {
        await target.commitOffsets(offsets);
      } catch (error) {
        // Not committed (a rebalance, the broker away): keep them unless newer progress replaced them.
        for (const { topic, partition, offset } of offsets) this.progressed(topic, partition, offset);
        throw error;
      }
    });
    return this.committing;
  }

  clear(): void {
    this.pending.clear();
  }
}

/** EVERGREEN_CONSUMER_COMMIT_INTERVAL_MS, else 1000 ms: how often a consumer commits its group's progress, at most. */
export function commitIntervalFromEnv(environment: NodeJS.ProcessEnv = process.env): number {
  const text = environment.EVERGREEN_CONSUMER_COMMIT_INTERVAL_MS;
  if (text === undefined || text.trim() === '') return 1_000;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`EVERGREEN_CONSUMER_COMMIT_INTERVAL_MS must be a whole number of milliseconds (0: after every slice), got ${JSON.stringify(text)}`);
  return value;
}
