import { migrateFromCli } from '@evergreen/platform';
import { activityLogMigrations } from './migrations.ts';

await migrateFromCli('activity-log', activityLogMigrations());
