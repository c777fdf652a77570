import { DEFAULT_TOMBSTONE_TTL_SECONDS, redisStore, type ApplyOutcome, type PendingOperation, type Sink } from '@evergreen/consumer';
import { sendBatched, type BatchedCall, type RedisClient, type StoreFacts } from '@evergreen/platform';
import { orderKey, userOrdersDeletedKey, userOrdersKey } from './keys.ts';

/** An order's state at a version, and its place in its user's order ids. */
export interface CacheOrder {
  kind: 'order';
  orderId: string;
  userId: string;
  version: number;
  /** HSET field/value pairs, besides `version`. */
  fields: string[];
}

/** A user deleted at a version: its order ids go. */
export interface ForgetUserOrders {
  kind: 'forget-user';
  userId: string;
  version: number;
}

export type OrderCacheOperation = CacheOrder | ForgetUserOrders;

// Each script compares and writes atomically, so redeliveries and replays from offset 0 leave every
// order at its newest version. The order (its own slot) and its user's index (the user's slot) are
// two scripts, sent in this order: a crash between them leaves the record uncommitted, and its
// redelivery finds the order current (stale) but still indexes it, so the index never misses an
// order. An order of a user deleted since is still kept (it happened), but not indexed again.
const CACHE_ORDER = `
local stored = redis.call('HGET', KEYS[1], 'version')
if stored and tonumber(stored) >= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'version', ARGV[1], unpack(ARGV, 2))
return 1
`;

const INDEX_ORDER = `
if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('SADD', KEYS[1], ARGV[1]) end
return 1
`;

// The deletion's version outlives the index for the marker's TTL, as the user cache's marker does:
// an order event read again later (a rebalance, a replay) cannot put the user's index back.
const FORGET_USER_ORDERS = `
local stored = redis.call('GET', KEYS[2])
if stored and tonumber(stored) >= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
return 1
`;

type OrderCacheCommands = {
  evergreenCacheOrder(keyCount: 1, order: string, version: string, ...fields: string[]): Promise<number>;
  evergreenIndexOrder(keyCount: 2, index: string, deleted: string, orderId: string): Promise<number>;
  evergreenForgetUserOrders(keyCount: 2, index: string, deleted: string, version: string, ttlSeconds: string): Promise<number>;
};

const commands = (target: Parameters<BatchedCall>[0]) => target as unknown as OrderCacheCommands;

/**
 * The order cache's writes: a batch of one partition in one round trip (a pipeline; on a Redis
 * Cluster auto-pipelined per node), each script touching the keys of one slot only.
 */
export class OrderCacheSink implements Sink<OrderCacheOperation> {
  constructor(
    private readonly redis: RedisClient,
    private readonly deletionTtlSeconds = DEFAULT_TOMBSTONE_TTL_SECONDS,
  ) {
    redis.defineCommand('evergreenCacheOrder', { lua: CACHE_ORDER });
    redis.defineCommand('evergreenIndexOrder', { lua: INDEX_ORDER });
    redis.defineCommand('evergreenForgetUserOrders', { lua: FORGET_USER_ORDERS });
  }

  async apply(operations: ReadonlyArray<PendingOperation<OrderCacheOperation>>): Promise<ApplyOutcome[]> {
    if (operations.length === 0) return [];
    // Per operation, the call whose answer is its outcome; an order's index call follows it.
    const calls: BatchedCall[] = [];
    const outcomeCall: number[] = [];
    for (const { op } of operations) {
      outcomeCall.push(calls.length);
      if (op.kind === 'order') {
        calls.push((target) => commands(target).evergreenCacheOrder(1, orderKey(op.orderId), String(op.version), ...op.fields));
        calls.push((target) => commands(target).evergreenIndexOrder(2, userOrdersKey(op.userId), userOrdersDeletedKey(op.userId), op.orderId));
      } else {
        calls.push((target) => commands(target).evergreenForgetUserOrders(2, userOrdersKey(op.userId), userOrdersDeletedKey(op.userId), String(op.version), String(this.deletionTtlSeconds)));
      }
    }
    const answers = await sendBatched(this.redis, calls);
    return outcomeCall.map((index): ApplyOutcome => (answers[index] === 1 ? 'applied' : 'stale'));
  }

  async probe(): Promise<void> {
    await this.redis.ping();
  }

  get store(): StoreFacts {
    return redisStore(this.redis);
  }

  get deletionMemorySeconds(): number {
    return this.deletionTtlSeconds;
  }
}
