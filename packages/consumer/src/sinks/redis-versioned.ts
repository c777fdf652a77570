import type { Redis } from 'ioredis';
import type { ApplyOutcome, PendingOperation, Sink } from '../sink.ts';

/** Writes a Redis hash if `version` is newer than the stored one. */
export interface UpsertOperation {
  kind: 'upsert';
  key: string;
  version: number;
  /** HSET field/value pairs, besides `version`. */
  fields: string[];
}

/** Replaces the hash with a deletion marker at `version`, if that is newer than the stored one. */
export interface DeleteOperation {
  kind: 'delete';
  key: string;
  version: number;
  eventId: string;
}

export type VersionedOperation = UpsertOperation | DeleteOperation;

// Both scripts compare and write in one atomic step, so duplicates, redeliveries after a crash and
// replays from offset 0 leave each entry at the newest version, never moved backwards.
const UPSERT_IF_NEWER = `
local stored = redis.call('HGET', KEYS[1], 'version')
if stored and tonumber(stored) >= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'version', ARGV[1], unpack(ARGV, 2))
return 1
`;

// A deletion leaves a marker holding the deletion's version, so an older event replayed later
// cannot resurrect the entry. It expires after ARGV[2] seconds, by when the topic no longer holds
// events older than the deletion (Kafka's retention; compaction's delete.retention.ms).
const DELETE_IF_NEWER = `
local stored = redis.call('HGET', KEYS[1], 'version')
if stored and tonumber(stored) >= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'deleted', '1', 'eventId', ARGV[3])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
`;

/** Seven days: Kafka's default retention, longer than a compacted topic's default delete.retention.ms (one day). */
export const DEFAULT_TOMBSTONE_TTL_SECONDS = 7 * 24 * 60 * 60;

type VersionedCommands = {
  evergreenUpsertIfNewer(key: string, version: string, ...fields: string[]): Promise<number>;
  evergreenDeleteIfNewer(key: string, version: string, ttlSeconds: string, eventId: string): Promise<number>;
};

/**
 * A Redis projection of versioned entries. One batch is one pipeline: a single round trip for a
 * whole batch of one partition, each script still atomic on its own key.
 */
export class RedisVersionedSink implements Sink<VersionedOperation> {
  constructor(
    private readonly redis: Redis,
    private readonly tombstoneTtlSeconds = DEFAULT_TOMBSTONE_TTL_SECONDS,
  ) {
    redis.defineCommand('evergreenUpsertIfNewer', { numberOfKeys: 1, lua: UPSERT_IF_NEWER });
    redis.defineCommand('evergreenDeleteIfNewer', { numberOfKeys: 1, lua: DELETE_IF_NEWER });
  }

  async apply(operations: ReadonlyArray<PendingOperation<VersionedOperation>>): Promise<ApplyOutcome[]> {
    if (operations.length === 0) return [];
    const pipeline = this.redis.pipeline() as ReturnType<Redis['pipeline']> & VersionedCommands;
    for (const { op } of operations) {
      if (op.kind === 'upsert') void pipeline.evergreenUpsertIfNewer(op.key, String(op.version), ...op.fields);
      else void pipeline.evergreenDeleteIfNewer(op.key, String(op.version), String(this.tombstoneTtlSeconds), op.eventId);
    }
    const results = (await pipeline.exec()) ?? [];
    if (results.length !== operations.length) throw new Error(`redis answered ${results.length} of ${operations.length} writes`);
    return results.map(([error, written]) => {
      if (error) throw error;
      return written === 1 ? 'applied' : 'stale';
    });
  }

  async probe(): Promise<void> {
    await this.redis.ping();
  }
}
