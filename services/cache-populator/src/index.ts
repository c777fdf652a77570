export { cacheRebuildTarget, createCachePopulator, createGenerationalCachePopulator, userCacheGenerations } from './cache-populator.ts';
export type { CachePopulatorOptions, GenerationalCachePopulatorOptions } from './cache-populator.ts';
export { userCacheHandlers, userCacheHandlersFor } from './user-projection.ts';
