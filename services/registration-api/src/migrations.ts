import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { outboxMigrations } from '@evergreen/outbox';
import { readMigrations, type Migration } from '@evergreen/platform';

/** Everything this service's database needs: the outbox contract, then its own tables. */
export function registrationMigrations(): Migration[] {
  return [...outboxMigrations(), ...readMigrations('registration-api', join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations'))];
}
