export { createCachePopulator } from './cache-populator.ts';
export type { CachePopulator, CachePopulatorOptions, CachePopulatorCounters } from './cache-populator.ts';
export { UserCache, userKey } from './user-cache.ts';
export type { UserEntry } from './user-cache.ts';
export { deadLetterTopic } from './dead-letter.ts';
