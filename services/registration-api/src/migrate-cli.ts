import { createPool, loadStackConfig, migrate } from '@evergreen/platform';
import { registrationMigrations } from './migrations.ts';

const config = loadStackConfig();
const pool = createPool(config.postgres, { max: 1 });
try {
  const applied = await migrate(pool, registrationMigrations());
  console.log(applied.length > 0 ? `[db] applied ${applied.join(', ')}` : '[db] schema is up to date');
} catch (error) {
  console.error(`[db] FAILED: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await pool.end();
}
