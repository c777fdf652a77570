import type { Admin } from 'kafkajs';
import type { Logger } from '@evergreen/platform';

// How far a consumer group got towards where its topics ended at some moment: a rebuild waits for
// it before switching, a replica bootstrapped from a compacted topic before it reports ready.

/** One partition's offsets at the moment the catch-up is measured against. */
export interface PartitionEnd {
  topic: string;
  partition: number;
  low: string;
  high: string;
}

export interface CatchUpProgress {
  /** Records up to the start-time end offsets the group has committed past. */
  done: number;
  total: number;
  partitionsDone: number;
  partitions: number;
  complete: boolean;
}

/**
 * How far a group got towards the end offsets seen at the start. A partition is done when its
 * committed offset (the next one to read) reached that end, or when it held no records then.
 */
export function catchUpProgress(ends: readonly PartitionEnd[], committed: ReadonlyMap<string, bigint>): CatchUpProgress {
  let done = 0n;
  let total = 0n;
  let partitionsDone = 0;
  for (const end of ends) {
    const low = BigInt(end.low);
    const high = BigInt(end.high);
    const size = high > low ? high - low : 0n;
    total += size;
    const next = committed.get(`${end.topic}:${end.partition}`);
    if (size === 0n || (next !== undefined && next >= high)) {
      done += size;
      partitionsDone += 1;
    } else if (next !== undefined && next > low) {
      done += next - low;
    }
  }
  return { done: Number(done), total: Number(total), partitionsDone, partitions: ends.length, complete: partitionsDone === ends.length };
}

/** The offsets a group has committed (the next one to read) on these topics, by `topic:partition`. */
export async function committedOffsets(admin: Admin, groupId: string, topics: string[]): Promise<Map<string, bigint>> {
  const offsets = new Map<string, bigint>();
  for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics })) {
    for (const { partition, offset } of partitions) if (BigInt(offset) >= 0n) offsets.set(`${topic}:${partition}`, BigInt(offset));
  }
  return offsets;
}

/** Where each partition of these topics begins and ends now. */
export async function endOffsets(admin: Admin, topics: readonly string[]): Promise<PartitionEnd[]> {
  const ends: PartitionEnd[] = [];
  for (const topic of topics) {
    for (const { partition, low, high } of await admin.fetchTopicOffsets(topic)) ends.push({ topic, partition, low, high });
  }
  return ends;
}

export interface CatchUpWatch {
  /** Whether the group reached the end offsets noted at start; stays true once it did. */
  caughtUp(): boolean;
  /** The last progress measured. */
  progress(): CatchUpProgress | undefined;
  stop(): void;
}

export interface CatchUpWatchOptions {
  admin: Admin;
  groupId: string;
  topics: readonly string[];
  logger: Logger;
  /** What is catching up, for the log lines (e.g. "user replica"). */
  what: string;
  intervalMs?: number;
  progressLogIntervalMs?: number;
}

/**
 * Notes where the topics end now, then measures every `intervalMs` how far the group has committed
 * towards those offsets, logging progress every few seconds, until it got there. Meant for a
 * projection that must hold what a topic held when its process started before it serves reads (a
 * replica bootstrapped from a compacted topic): its readiness waits for caughtUp().
 */
export async function watchCatchUp(options: CatchUpWatchOptions): Promise<CatchUpWatch> {
  const { admin, groupId, logger, what } = options;
  const topics = [...options.topics];
  const ends = await endOffsets(admin, topics);
  const total = catchUpProgress(ends, new Map()).total;
  logger.info({ groupId, topics, records: total, partitions: ends.length }, `${what}: catching up with the end offsets of now`);
  let latest: CatchUpProgress | undefined;
  let done = false;
  let lastLog = 0;
  let timer: NodeJS.Timeout | undefined;
  const measure = async () => {
    try {
      latest = catchUpProgress(ends, await committedOffsets(admin, groupId, topics));
      if (latest.complete || performance.now() - lastLog >= (options.progressLogIntervalMs ?? 2_000)) {
        lastLog = performance.now();
        const percent = latest.total === 0 ? 100 : Math.floor((latest.done / latest.total) * 100);
        logger.info({ groupId, done: latest.done, total: latest.total, partitionsDone: latest.partitionsDone, partitions: latest.partitions }, `${what}: ${latest.done}/${latest.total} record(s) (${percent}%)`);
      }
      if (latest.complete) {
        done = true;
        logger.info({ groupId }, `${what}: caught up with the end offsets seen at start`);
        return;
      }
    } catch (error) {
      // The broker away for a moment: measured again on the next tick, readiness stays false meanwhile.
      logger.warn({ err: error, groupId }, `${what}: could not read the group's offsets; trying again`);
    }
    timer = setTimeout(() => void measure(), options.intervalMs ?? 500);
  };
  await measure();
  return {
    caughtUp: () => done,
    progress: () => latest,
    stop: () => clearTimeout(timer),
  };
}
