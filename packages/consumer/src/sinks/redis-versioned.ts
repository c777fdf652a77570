import { groupBySlot, isCluster, sendBatched, type RedisClient, type StoreFacts } from '@evergreen/platform';
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

// One script call applies many operations, each compared and written in one atomic step, so
// duplicates, redeliveries after a crash and replays from offset 0 leave each entry at the newest
// version, never moved backwards. Operations run in order, so two versions of one key in one call
// end at the newer. ARGV[1] is the deletion marker's TTL; then per operation (KEYS[i]): its kind
// ('u' upsert, 'd' delete), its version, how many arguments follow, and those: the HSET
// field/value pairs of an upsert, or a deletion's event id.
//
// A deletion leaves a marker holding the deletion's version, so an older event replayed later
// cannot resurrect the entry. It expires after the TTL, by when the topic no longer holds events
// older than the deletion (Kafka's retention; compaction's delete.retention.ms).
const APPLY_IF_NEWER = `
local ttl = tonumber(ARGV[1])
local results = {}
local at = 2
for i, key in ipairs(KEYS) do
  local kind, version, count = ARGV[at], ARGV[at + 1], tonumber(ARGV[at + 2])
  local stored = redis.call('HGET', key, 'version')
  if stored and tonumber(stored) >= tonumber(version) then
    results[i] = 0
  else
    redis.call('DEL', key)
    if kind == 'u' then
      redis.call('HSET', key, 'version', version, unpack(ARGV, at + 3, at + 2 + count))
    else
      redis.call('HSET', key, 'version', version, 'deleted', '1', 'eventId', ARGV[at + 3])
      redis.call('EXPIRE', key, ttl)
    end
    results[i] = 1
  end
  at = at + 3 + count
end
return results
`;

/**
 * Seven days: Kafka's default retention, longer than a compacted topic's default delete.retention.ms
 * (one day). It must outlive the delete.retention.ms of every compacted topic the sink is fed from:
 * createProjectionConsumer refuses to start otherwise (see deletionMarkerProblem, docs/operations.md).
 */
export const DEFAULT_TOMBSTONE_TTL_SECONDS = 7 * 24 * 60 * 60;

type VersionedCommands = {
  evergreenApplyIfNewer(keyCount: number, ...keysThenArgs: string[]): Promise<number[]>;
};

type Pending = PendingOperation<VersionedOperation>;

/** Operations per script call: long enough to make per-call costs vanish, short enough not to hold Redis up (about a millisecond). */
const OPERATIONS_PER_CALL = 250;

/**
 * A Redis projection of versioned entries. A batch is applied by a few script calls sent as one
 * pipeline: one round trip for a whole batch of one partition. Each call names every key it
 * touches; on a Redis Cluster one call holds only keys of one hash slot (CROSSSLOT otherwise), so
 * a batch becomes a call per slot, sent auto-pipelined per node.
 */
export class RedisVersionedSink implements Sink<VersionedOperation> {
  constructor(
    private readonly redis: RedisClient,
    private readonly tombstoneTtlSeconds = DEFAULT_TOMBSTONE_TTL_SECONDS,
  ) {
    redis.defineCommand('evergreenApplyIfNewer', { lua: APPLY_IF_NEWER });
  }

  async apply(operations: ReadonlyArray<PendingOperation<VersionedOperation>>): Promise<ApplyOutcome[]> {
    if (operations.length === 0) return [];
    const indexed = operations.map((pending, index) => ({ pending, index }));
    const calls: Array<typeof indexed> = [];
    for (const group of groupBySlot(this.redis, indexed, ({ pending }) => pending.op.key)) {
      for (let start = 0; start < group.length; start += OPERATIONS_PER_CALL) calls.push(group.slice(start, start + OPERATIONS_PER_CALL));
    }
    const answers = await sendBatched(
      this.redis,
      calls.map((call) => (target) => (target as unknown as VersionedCommands).evergreenApplyIfNewer(call.length, ...scriptArguments(call.map(({ pending }) => pending), this.tombstoneTtlSeconds))),
    );
    const outcomes: ApplyOutcome[] = new Array<ApplyOutcome>(operations.length);
    let answered = 0;
    calls.forEach((call, callIndex) => {
      const written = answers[callIndex] as number[];
      call.forEach(({ index }, position) => {
        if (written[position] === undefined) return;
        outcomes[index] = written[position] === 1 ? 'applied' : 'stale';
        answered += 1;
      });
    });
    if (answered !== operations.length) throw new Error(`redis answered ${answered} of ${operations.length} writes`);
    return outcomes;
  }

  async probe(): Promise<void> {
    await this.redis.ping();
  }

  get deletionMemorySeconds(): number {
    return this.tombstoneTtlSeconds;
  }

  get store(): StoreFacts {
    return redisStore(this.redis);
  }
}

/** A Redis client's store, for the spans of its writes. A Cluster's writes go to many nodes (and only db 0), so it names none. */
export function redisStore(redis: RedisClient): StoreFacts {
  if (isCluster(redis)) return { system: 'redis', namespace: '0' };
  const { host, port, db } = redis.options;
  return { system: 'redis', namespace: String(db ?? 0), serverAddress: host, serverPort: port };
}

/** KEYS then ARGV of one script call, in the layout APPLY_IF_NEWER reads. */
function scriptArguments(slice: readonly Pending[], tombstoneTtlSeconds: number): string[] {
  const keys: string[] = [];
  const args: string[] = [String(tombstoneTtlSeconds)];
  for (const { op } of slice) {
    keys.push(op.key);
    if (op.kind === 'upsert') args.push('u', String(op.version), String(op.fields.length), ...op.fields);
    else args.push('d', String(op.version), '1', op.eventId);
  }
  return [...keys, ...args];
}
