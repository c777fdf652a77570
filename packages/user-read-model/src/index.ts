export { userKey, USER_KEY_PREFIX, entryFields, parseCachedUser, readCachedUser } from './user-entry.ts';
export type { UserEntry, CachedUser } from './user-entry.ts';
export { readCachedUserStates, scanCachedUserIds, userFingerprint } from './cache-states.ts';
export type { CachedUserState, UserContent } from './cache-states.ts';
export {
  ACTIVE_GENERATION_MAX_AGE_MS,
  ACTIVITY_LOG_TABLES,
  activeUserKeyspace,
  activityLogNamespace,
  DEFAULT_GROUP_IDS,
  FIRST_GENERATION,
  generationGroupId,
  isGeneration,
  parseGeneration,
  projectionNamespace,
  readActiveUserGeneration,
  USER_CACHE_GENERATION_KEY,
  USER_CACHE_REBUILD_LOCK_KEY,
  USER_PROJECTIONS,
  userKeyspace,
} from './generations.ts';
export type { ActivityLogNamespace, ProjectionNamespace, UserCacheNamespace, UserProjection } from './generations.ts';
