export { createActivityLog, ACTIVITY_LOG_CONSUMER } from './activity-log.ts';
export type { ActivityLogOptions } from './activity-log.ts';
export { activityHandlers, activityEntry, recordActivity } from './activity-projection.ts';
export type { ActivityEntry } from './activity-projection.ts';
export { activityLogMigrations } from './migrations.ts';
