export { USER_AGGREGATE, USER_COLUMNS, userFromRow, UserNotFoundError, VersionMismatchError } from './user.ts';
export type { User, UserRow } from './user.ts';
export { userDeleted, userDeletionRestated, userProfileUpdated, userRegistered, userSnapshot } from './user-events.ts';
export type { SnapshotReason } from './user-events.ts';
export { isPossibleUserId, knownUserIds, liveFields, lockUserStates, possibleUserIds, readUserStates, streamUserStates } from './user-state.ts';
export type { LiveUserFields, UserState } from './user-state.ts';
