export { userKey, entryFields, parseCachedUser, readCachedUser } from './user-entry.ts';
export type { UserEntry, CachedUser } from './user-entry.ts';
