import { migrateFromCli } from '@evergreen/platform';
import { registrationMigrations } from './migrations.ts';

await migrateFromCli('registration-api', registrationMigrations());
