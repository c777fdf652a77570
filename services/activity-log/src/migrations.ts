import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inboxMigrations } from '@evergreen/consumer';
import { readMigrations, type Migration } from '@evergreen/platform';

/** The inbox the sink writes to, then this service's own tables. */
export function activityLogMigrations(): Migration[] {
  return [...inboxMigrations(), ...readMigrations('activity-log', join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations'))];
}
