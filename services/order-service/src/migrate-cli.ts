import { migrateFromCli } from '@evergreen/platform';
import { orderServiceMigrations } from './migrations.ts';

// Into the service's own database (EVERGREEN_ORDERS_PG_DATABASE), which `npm run db:migrate` creates first.
await migrateFromCli('order-service', orderServiceMigrations(), (config) => config.orders.database);
