import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inboxMigrations } from '@evergreen/consumer';
import { outboxMigrations } from '@evergreen/outbox';
import { readMigrations, type Migration } from '@evergreen/platform';

/** Its own database's whole schema: the outbox contract, the inbox its replica consumer writes through, then its tables. */
export function orderServiceMigrations(): Migration[] {
  return [...outboxMigrations(), ...inboxMigrations(), ...readMigrations('order-service', join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations'))];
}
