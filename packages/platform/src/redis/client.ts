/// <reference path="./cluster-key-slot.d.ts" />
import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisSettings } from '../config/stack-config.ts';

/** A standalone Redis or a Redis Cluster: the code above this seam runs on either. */
export type RedisClient = Redis | Cluster;

/**
 * How long a client waits for Redis, so that no caller hangs on a Redis that is stuck, or that
 * accepts connections and never answers (a connection that stays open is never retried, so without
 * a command timeout a command would wait forever): for a connection, and for the answer to each
 * command, pipelined and scripted ones included. A consumer's command that times out fails its
 * batch, which is retried with backoff and reported by the stuck detector; the API's are tighter
 * (services/registration-api/src/clients.ts).
 */
export const DEFAULT_REDIS_TIMEOUTS = { connectTimeout: 2_000, commandTimeout: 5_000 } as const satisfies RedisOptions;

export type RedisClientSettings = Pick<RedisSettings, 'host' | 'port' | 'db' | 'nodes' | 'keyPrefix'> & Partial<Pick<RedisSettings, 'commandTimeoutMs'>>;

/**
 * The one place a Redis client is made from the stack's settings: a Cluster client when
 * EVERGREEN_REDIS_NODES lists nodes, a standalone one otherwise. `options` are per connection
 * (retries, timeouts, lazyConnect) over DEFAULT_REDIS_TIMEOUTS and the settings' command timeout;
 * the namespace's db or key prefix always comes from settings.
 */
export function createRedis(settings: RedisClientSettings, options: RedisOptions = {}): RedisClient {
  const keyPrefix = settings.keyPrefix === '' ? undefined : settings.keyPrefix;
  const bounded: RedisOptions = { ...DEFAULT_REDIS_TIMEOUTS, ...(settings.commandTimeoutMs === undefined ? {} : { commandTimeout: settings.commandTimeoutMs }), ...options };
  if (settings.nodes.length === 0) return new Redis({ ...bounded, host: settings.host, port: settings.port, db: settings.db, keyPrefix });
  const { lazyConnect, ...perNode } = bounded;
  return new Cluster(settings.nodes, {
    lazyConnect,
    keyPrefix,
    // No auto-pipelining: ioredis routes an auto-pipelined script (defineCommand) by its first
    // argument, the key count, not its first key, and then refuses the pipeline ("All keys in the
    // pipeline should belong to the same slots allocation group"). Commands sent together without
    // awaiting each other still leave in one write per node connection.
    // A primary that died is replaced by its replica within seconds (cluster-node-timeout); until
    // then a command waits and retries rather than failing the batch.
    clusterRetryStrategy: (attempt) => Math.min(100 * attempt, 2_000),
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    slotsRefreshTimeout: 2_000,
    redisOptions: perNode,
  });
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/** The hash slot a key (as the caller names it, before the client's prefix) lands in. */
export function slotOf(client: RedisClient, key: string): number {
  return calculateSlot(`${client.options.keyPrefix ?? ''}${key}`);
}

/**
 * Splits items into groups whose keys share a hash slot, keeping their order within each group. A
 * script may name several keys only when they share a slot on a Redis Cluster (else CROSSSLOT);
 * on a standalone Redis everything is one group.
 */
export function groupBySlot<T>(client: RedisClient, items: readonly T[], keyOf: (item: T) => string): T[][] {
  if (!isCluster(client)) return items.length === 0 ? [] : [[...items]];
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const slot = slotOf(client, keyOf(item));
    const group = groups.get(slot);
    if (group) group.push(item);
    else groups.set(slot, [item]);
  }
  return [...groups.values()];
}

/** A command sent through either a pipeline or the client itself; its answer is read from the result. */
export type BatchedCall = (target: Redis | Cluster | ReturnType<Redis['pipeline']>) => unknown;

/**
 * Sends every call in one round trip where Redis allows: one pipeline on a standalone Redis; on a
 * Cluster each call on its own, all sent before any answer is awaited (a Cluster pipeline must stay
 * on one node).
 * Answers in call order; the first error is thrown.
 */
export async function sendBatched(client: RedisClient, calls: readonly BatchedCall[]): Promise<unknown[]> {
  if (calls.length === 0) return [];
  if (isCluster(client)) return Promise.all(calls.map((call) => call(client) as Promise<unknown>));
  const pipeline = client.pipeline();
  for (const call of calls) call(pipeline);
  const results = (await pipeline.exec()) ?? [];
  if (results.length !== calls.length) throw new Error(`redis answered ${results.length} of ${calls.length} commands`);
  return results.map(([error, answer]) => {
    if (error) throw error;
    return answer;
  });
}

/** The nodes whose keys a SCAN must visit: the one Redis, or every primary of a Cluster. */
export function scanTargets(client: RedisClient): Redis[] {
  return isCluster(client) ? client.nodes('master') : [client];
}

/**
 * Every key matching `pattern`, in batches, by SCAN (which never blocks Redis): on a Cluster, on
 * each primary in turn. Keys come as the caller names them, without the client's key prefix (which
 * SCAN's MATCH does not add by itself).
 */
export async function* scanKeys(client: RedisClient, pattern: string, count = 1_000): AsyncGenerator<string[]> {
  const prefix = client.options.keyPrefix ?? '';
  // A Cluster client knows its primaries only once it has read the slot map.
  if (isCluster(client) && client.status !== 'ready') await client.ping();
  for (const node of scanTargets(client)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}${pattern}`, 'COUNT', count);
      cursor = next;
      if (keys.length > 0) yield keys.map((key) => key.slice(prefix.length));
    } while (cursor !== '0');
  }
}
