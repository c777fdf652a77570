import { randomUUID } from 'node:crypto';
import { groupBySlot, scanKeys, sendBatched, type RedisClient } from '@evergreen/platform';
import { GenerationConflictError, RebuildLockedError, storedGeneration, type GenerationStore } from './store.ts';

export interface RedisGenerationOptions {
  /** The projection's name, for messages. */
  projection: string;
  /** The key holding the active generation (absent: 1). */
  pointerKey: string;
  /** The key a rebuild holds while it runs. */
  lockKey: string;
  /** SCAN MATCH pattern of exactly one generation's keys. Patterns of different generations must not overlap. */
  keyPattern(generation: number): string;
  /** Keys unlinked per command when a generation is dropped (default 500). */
  dropBatch?: number;
  /** How long the rebuild lock outlives a rebuild that stopped refreshing it (default 60 s). */
  lockTtlMs?: number;
}

// Compare-and-set of the pointer: an absent pointer is generation 1.
const FLIP = `
local current = redis.call('GET', KEYS[1]) or '1'
if current ~= ARGV[1] then return current end
redis.call('SET', KEYS[1], ARGV[2])
return 'ok'
`;

// Extends, or releases, the lock only while this rebuild holds it.
const REFRESH = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
`;
const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`;

/**
 * Generations of a Redis projection: one key prefix per generation, the active one in a pointer
 * key. The flip is one atomic compare-and-set of that key. Redis has no transaction spanning a
 * reader's pointer lookup and its read, so old writers are not fenced: a service still on the old
 * generation after the flip writes there until it switches, which is why rebuildProjection drops
 * the old keys only once the old group is empty.
 */
export class RedisGenerationStore implements GenerationStore {
  readonly projection: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly options: RedisGenerationOptions,
  ) {
    this.projection = options.projection;
  }

  async readActive(): Promise<number> {
    return storedGeneration(await this.redis.get(this.options.pointerKey));
  }

  async lock(): Promise<() => Promise<void>> {
    const { lockKey } = this.options;
    const ttl = this.options.lockTtlMs ?? 60_000;
    const token = `${randomUUID()} pid ${process.pid}`;
    if ((await this.redis.set(lockKey, token, 'PX', ttl, 'NX')) !== 'OK') {
      throw new RebuildLockedError(this.projection, `${lockKey} is held by ${(await this.redis.get(lockKey)) ?? 'someone'}`);
    }
    const refresh = setInterval(() => {
      this.redis.eval(REFRESH, 1, lockKey, token, String(ttl)).catch(() => undefined);
    }, Math.max(1_000, Math.floor(ttl / 3)));
    refresh.unref();
    return async () => {
      clearInterval(refresh);
      await this.redis.eval(RELEASE, 1, lockKey, token);
    };
  }

  async prepare(generation: number): Promise<void> {
    const active = await this.readActive();
    if (generation <= active) throw new RangeError(`generation ${generation} of ${this.projection} cannot be prepared: generation ${active} is active`);
    await this.unlink(generation);
  }

  async flip(from: number, to: number): Promise<void> {
    const answer = String(await this.redis.eval(FLIP, 1, this.options.pointerKey, String(from), String(to)));
    if (answer !== 'ok') throw new GenerationConflictError(this.projection, from, storedGeneration(answer));
  }

  async drop(generation: number): Promise<string> {
    const active = await this.readActive();
    if (generation === active) throw new RangeError(`generation ${generation} of ${this.projection} is active; it cannot be dropped`);
    return `unlinked ${await this.unlink(generation)} key(s) ${this.options.keyPattern(generation)}`;
  }

  describe(generation: number): string {
    return `keys ${this.options.keyPattern(generation)}`;
  }

  /** SCAN never blocks Redis; UNLINK frees the memory in the background. */
  private async unlink(generation: number): Promise<number> {
    const pattern = this.options.keyPattern(generation);
    const batch = this.options.dropBatch ?? 500;
    let removed = 0;
    for await (const keys of scanKeys(this.redis, pattern, batch)) {
      // One UNLINK per slot: a Redis Cluster refuses one naming keys of several.
      const answers = await sendBatched(this.redis, groupBySlot(this.redis, keys, (key) => key).map((group) => (target) => target.unlink(...group)));
      for (const answer of answers) removed += Number(answer);
    }
    return removed;
  }
}
