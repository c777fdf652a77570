import type { RedisClient } from '@evergreen/platform';

/**
 * Generations of the user projections (docs/operations.md#rebuild). A projection is rebuilt from
 * offset 0 into a fresh namespace — Redis keys, PostgreSQL tables — under a new consumer group,
 * while the active one keeps serving; then the active generation, recorded in the projection's own
 * store, moves to it and the old namespace is dropped. Generation 1 is named exactly as Evergreen
 * named everything before generations existed, so a deployment that never rebuilt has nothing to
 * migrate. Every name of every generation is computed here, and only here.
 */
export type UserProjection = 'cache-populator' | 'activity-log';

export const USER_PROJECTIONS: readonly UserProjection[] = ['cache-populator', 'activity-log'];

/** The first generation: today's names. */
export const FIRST_GENERATION = 1;

/** The consumer group of each projection's first generation; later ones are `<group>.g<n>`. */
export const DEFAULT_GROUP_IDS: Readonly<Record<UserProjection, string>> = {
  'cache-populator': 'evergreen-cache-populator',
  'activity-log': 'evergreen-activity-log',
};

/** Redis key holding the cache's active generation (absent: 1). Not matched by any generation's key pattern. */
export const USER_CACHE_GENERATION_KEY = 'evergreen:user-cache:generation';

/** Redis key a rebuild of the cache holds while it runs, so two rebuilds never race. */
export const USER_CACHE_REBUILD_LOCK_KEY = 'evergreen:user-cache:rebuild';

/** The names readers use for the activity log's tables, whatever the generation: generation 1's tables, later views. */
export const ACTIVITY_LOG_TABLES = { activity: 'user_activity', daily: 'user_activity_daily' } as const;

export function isGeneration(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= FIRST_GENERATION;
}

function checkGeneration(generation: number): number {
  if (!isGeneration(generation)) throw new RangeError(`a generation is an integer >= ${FIRST_GENERATION}, got ${String(generation)}`);
  return generation;
}

/** Parses a stored generation; absent (null/undefined) is the first. Anything else malformed throws. */
export function parseGeneration(raw: string | number | null | undefined): number {
  if (raw === null || raw === undefined) return FIRST_GENERATION;
  const value = typeof raw === 'number' ? raw : /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!isGeneration(value)) throw new RangeError(`a stored generation must be an integer >= ${FIRST_GENERATION}, got ${JSON.stringify(raw)}`);
  return value;
}

/** The consumer group of a generation: the base group for generation 1, `<base>.g<n>` after. */
export function generationGroupId(baseGroupId: string, generation: number): string {
  return checkGeneration(generation) === FIRST_GENERATION ? baseGroupId : `${baseGroupId}.g${generation}`;
}

/** Where one generation of the user cache lives in Redis. */
export interface UserCacheNamespace {
  projection: 'cache-populator';
  generation: number;
  groupId: string;
  /** Every user's hash is `<keyPrefix><user id>`. */
  keyPrefix: string;
  /** SCAN MATCH pattern of exactly this generation's keys (no other generation's, nor the pointer). */
  keyPattern: string;
  key(userId: string): string;
}

/** Where one generation of the activity log lives in PostgreSQL. */
export interface ActivityLogNamespace {
  projection: 'activity-log';
  generation: number;
  groupId: string;
  /** The `consumer` its events are recorded under in consumer_inbox: a fresh generation re-applies every event. */
  inboxName: string;
  /** Its own tables, written by its consumers; readers use ACTIVITY_LOG_TABLES, which point at the active generation. */
  tables: { activity: string; daily: string };
}

export type ProjectionNamespace = UserCacheNamespace | ActivityLogNamespace;

/**
 * The one naming function: every key, table, inbox name and consumer group of one generation of
 * one projection. `baseGroupId` is generation 1's group (EVERGREEN_POPULATOR_GROUP /
 * EVERGREEN_ACTIVITY_LOG_GROUP, by default DEFAULT_GROUP_IDS).
 *
 * | | generation 1 | generation n > 1 |
 * |---|---|---|
 * | cache keys | `evergreen:user:<id>` | `evergreen:user.g<n>:<id>` |
 * | activity tables | `user_activity`, `user_activity_daily` | `user_activity_g<n>`, `user_activity_daily_g<n>` |
 * | activity inbox name | `activity-log` | `activity-log.g<n>` |
 * | group | `<base>` | `<base>.g<n>` |
 */
export function projectionNamespace(projection: 'cache-populator', generation: number, baseGroupId?: string): UserCacheNamespace;
export function projectionNamespace(projection: 'activity-log', generation: number, baseGroupId?: string): ActivityLogNamespace;
export function projectionNamespace(projection: UserProjection, generation: number, baseGroupId?: string): ProjectionNamespace;
export function projectionNamespace(projection: UserProjection, generation: number, baseGroupId: string = DEFAULT_GROUP_IDS[projection]): ProjectionNamespace {
  const groupId = generationGroupId(baseGroupId, generation);
  const first = generation === FIRST_GENERATION;
  if (projection === 'cache-populator') {
    // Generation n's keys are siblings of generation 1's, not under them, so each generation's
    // pattern matches its own keys only: dropping generation 1 never touches generation 2.
    const keyPrefix = first ? 'evergreen:user:' : `evergreen:user.g${generation}:`;
    return { projection, generation, groupId, keyPrefix, keyPattern: `${keyPrefix}*`, key: (userId) => `${keyPrefix}${userId}` };
  }
  const suffix = first ? '' : `_g${generation}`;
  return {
    projection,
    generation,
    groupId,
    inboxName: first ? 'activity-log' : `activity-log.g${generation}`,
    tables: { activity: `${ACTIVITY_LOG_TABLES.activity}${suffix}`, daily: `${ACTIVITY_LOG_TABLES.daily}${suffix}` },
  };
}

/** The user cache's keys of one generation (the first by default). */
export const userKeyspace = (generation: number = FIRST_GENERATION, baseGroupId?: string): UserCacheNamespace => projectionNamespace('cache-populator', generation, baseGroupId);

/** The activity log's tables of one generation (the first by default). */
export const activityLogNamespace = (generation: number = FIRST_GENERATION, baseGroupId?: string): ActivityLogNamespace => projectionNamespace('activity-log', generation, baseGroupId);

/** The cache's active generation, read now (one GET). */
export async function readActiveUserGeneration(redis: RedisClient): Promise<number> {
  return parseGeneration(await redis.get(USER_CACHE_GENERATION_KEY));
}

/**
 * How long a reader may go on using the active generation it read (activeUserKeyspace): after a
 * rebuild switched, a reader reads the previous generation for at most this long. That generation
 * is kept, and kept up to date, until the services switched, so such a read is as fresh as any
 * cache read; once it is dropped a read finds nothing and falls back to PostgreSQL.
 */
export const ACTIVE_GENERATION_MAX_AGE_MS = 1_000;

interface Resolved {
  at: number;
  keyspace: Promise<UserCacheNamespace>;
}

const resolved = new WeakMap<RedisClient, Resolved>();

/**
 * The keys of the cache's active generation, as read from this Redis at most `maxAgeMs` ago (one
 * GET per client and period; concurrent callers share it). `maxAgeMs: 0` reads it now.
 */
export async function activeUserKeyspace(redis: RedisClient, options: { maxAgeMs?: number; now?: () => number } = {}): Promise<UserCacheNamespace> {
  const now = (options.now ?? Date.now)();
  const maxAgeMs = options.maxAgeMs ?? ACTIVE_GENERATION_MAX_AGE_MS;
  const cached = resolved.get(redis);
  if (cached && now - cached.at < maxAgeMs) return cached.keyspace;
  const keyspace = readActiveUserGeneration(redis).then((generation) => userKeyspace(generation));
  const entry: Resolved = { at: now, keyspace };
  resolved.set(redis, entry);
  // A failed read is not remembered: the next caller asks Redis again.
  keyspace.catch(() => {
    if (resolved.get(redis) === entry) resolved.delete(redis);
  });
  return keyspace;
}
