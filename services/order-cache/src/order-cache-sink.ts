import type { Redis } from 'ioredis';
import { DEFAULT_TOMBSTONE_TTL_SECONDS, redisStore, type ApplyOutcome, type PendingOperation, type Sink } from '@evergreen/consumer';
import type { StoreFacts } from '@evergreen/platform';
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
// order at its newest version. An order of a user deleted since is still kept (it happened), but
// not indexed under the user again.
const CACHE_ORDER = `
local stored = redis.call('HGET', KEYS[1], 'version')
if stored and tonumber(stored) >= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'version', ARGV[1], unpack(ARGV, 3))
if redis.call('EXISTS', KEYS[3]) == 0 then redis.call('SADD', KEYS[2], ARGV[2]) end
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
  evergreenCacheOrder(keyCount: 3, order: string, index: string, deleted: string, version: string, orderId: string, ...fields: string[]): Promise<number>;
  evergreenForgetUserOrders(keyCount: 2, index: string, deleted: string, version: string, ttlSeconds: string): Promise<number>;
};

/** The order cache's writes: a batch of one partition in one pipeline, one script call per operation. */
export class OrderCacheSink implements Sink<OrderCacheOperation> {
  constructor(
    private readonly redis: Redis,
    private readonly deletionTtlSeconds = DEFAULT_TOMBSTONE_TTL_SECONDS,
  ) {
    redis.defineCommand('evergreenCacheOrder', { lua: CACHE_ORDER });
    redis.defineCommand('evergreenForgetUserOrders', { lua: FORGET_USER_ORDERS });
  }

  async apply(operations: ReadonlyArray<PendingOperation<OrderCacheOperation>>): Promise<ApplyOutcome[]> {
    if (operations.length === 0) return [];
    const pipeline = this.redis.pipeline() as ReturnType<Redis['pipeline']> & OrderCacheCommands;
    for (const { op } of operations) {
      if (op.kind === 'order') void pipeline.evergreenCacheOrder(3, orderKey(op.orderId), userOrdersKey(op.userId), userOrdersDeletedKey(op.userId), String(op.version), op.orderId, ...op.fields);
      else void pipeline.evergreenForgetUserOrders(2, userOrdersKey(op.userId), userOrdersDeletedKey(op.userId), String(op.version), String(this.deletionTtlSeconds));
    }
    const results = (await pipeline.exec()) ?? [];
    if (results.length !== operations.length) throw new Error(`redis answered ${results.length} of ${operations.length} writes`);
    return results.map(([error, written]): ApplyOutcome => {
      if (error) throw error;
      return written === 1 ? 'applied' : 'stale';
    });
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
