export { activityLogGenerations, activityLogRebuildTarget, createActivityLog, createGenerationalActivityLog, ACTIVITY_LOG_CONSUMER } from './activity-log.ts';
export type { ActivityLogOptions, GenerationalActivityLogOptions } from './activity-log.ts';
export { activityHandlers, activityHandlersFor, activityEntry, recordActivity } from './activity-projection.ts';
export type { ActivityEntry } from './activity-projection.ts';
export { activityLogMigrations } from './migrations.ts';
