export { createCachePopulator } from './cache-populator.ts';
export type { CachePopulatorOptions } from './cache-populator.ts';
export { userCacheHandlers } from './user-projection.ts';
