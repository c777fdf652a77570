import type { LagAgeLimit } from './retention.ts';

/** What the consumer knows of one partition's progress, from the batches it worked on. */
export interface PartitionProgress {
  topic: string;
  partition: number;
  /** Records between the last one processed and the partition's end, as of the last fetch. */
  lag: number;
  /** Timestamp (epoch ms) of the oldest record fetched and not processed yet, while there is one. */
  oldestPendingTimestamp: number | undefined;
  /** Timestamp (epoch ms) of the last record processed. */
  lastProcessedTimestamp: number | undefined;
}

/**
 * How long the oldest record of the partition that is not processed yet has been waiting, in
 * seconds, at `nowMs`. Exact while that record is in a fetched batch; otherwise, with records
 * still to read, approximated from above by the last processed record's timestamp (the next record
 * was written after it). Computed from the clock, not stored: a consumer that is stuck shows an
 * age that keeps growing. 0 when nothing is known to be waiting.
 */
export function lagAgeSeconds(progress: PartitionProgress, nowMs: number): number {
  if (progress.lag <= 0) return 0;
  const since = progress.oldestPendingTimestamp ?? progress.lastProcessedTimestamp;
  if (since === undefined) return 0;
  return Math.max(0, nowMs - since) / 1000;
}

/** One line per partition whose lag age is past its topic's limit, naming the partition. */
export function lagAgeProblems(progress: Iterable<PartitionProgress>, limits: ReadonlyMap<string, LagAgeLimit>, nowMs: number): string[] {
  const problems: string[] = [];
  for (const entry of progress) {
    const limit = limits.get(entry.topic);
    if (!limit) continue;
    const age = lagAgeSeconds(entry, nowMs);
    if (age * 1000 > limit.ms) {
      problems.push(`${entry.topic}/${entry.partition} is ${Math.round(age)} s behind (${entry.lag} record(s)), past the limit of ${Math.round(limit.ms / 1000)} s (${limit.basis})`);
    }
  }
  return problems;
}

const timestampOf = (message: { timestamp: string }) => {
  const ms = Number(message.timestamp);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
};

/** Keeps every assigned partition's progress up to date as batches are worked through. */
export class LagTracker {
  private readonly partitions = new Map<string, PartitionProgress>();

  private entry(topic: string, partition: number): PartitionProgress {
    const key = `${topic}\u0000${partition}`;
    let progress = this.partitions.get(key);
    if (!progress) {
      progress = { topic, partition, lag: 0, oldestPendingTimestamp: undefined, lastProcessedTimestamp: undefined };
      this.partitions.set(key, progress);
    }
    return progress;
  }

  /**
   * Work on a fetched batch moved on: `done` (when given) is the last record processed, `next` the
   * oldest record of the batch not processed yet (none once the batch is done). `highWatermark` is
   * the partition's end as the fetch reported it.
   */
  progressed(topic: string, partition: number, highWatermark: string, done: { offset: string; timestamp: string } | undefined, next: { offset: string; timestamp: string } | undefined): void {
    const progress = this.entry(topic, partition);
    if (done) progress.lastProcessedTimestamp = timestampOf(done) ?? progress.lastProcessedTimestamp;
    const nextOffset = next ? BigInt(next.offset) : done ? BigInt(done.offset) + 1n : undefined;
    if (nextOffset !== undefined) progress.lag = Math.max(0, Number(BigInt(highWatermark) - nextOffset));
    progress.oldestPendingTimestamp = next ? timestampOf(next) : undefined;
  }

  /** Everything up to the batch's last offset (`lastOffset`) is processed. */
  caughtUpTo(topic: string, partition: number, highWatermark: string, lastOffset: string): void {
    const progress = this.entry(topic, partition);
    progress.lag = Math.max(0, Number(BigInt(highWatermark) - BigInt(lastOffset) - 1n));
    progress.oldestPendingTimestamp = undefined;
  }

  /** After a rebalance: forgets the partitions no longer assigned to this member. */
  keepOnly(assignment: Readonly<Record<string, readonly number[]>>): void {
    for (const [key, { topic, partition }] of this.partitions) {
      if (!(assignment[topic] ?? []).includes(partition)) this.partitions.delete(key);
    }
  }

  clear(): void {
    this.partitions.clear();
  }

  snapshot(): PartitionProgress[] {
    return [...this.partitions.values()].map((progress) => ({ ...progress }));
  }
}
