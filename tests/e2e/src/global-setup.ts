import { activityLogMigrations } from '@evergreen/activity-log';
import { AvroSerde } from '@evergreen/avro-serde';
import { applyRelay } from '@evergreen/connect-config';
import { isStackUp, localStack, stackDown, stackUp } from '@evergreen/local-stack';
import { createPool, loadStackConfig, loadStackEnv, migrate } from '@evergreen/platform';
import { registrationMigrations } from '@evergreen/registration-api';
import { registerAllSchemas } from '@evergreen/schemas';

const say = (line: string) => console.log(`[e2e] ${line}`);

/**
 * End-to-end tests run against the real stack. When it is down, this starts it (downloading the
 * distributions on the first run) and stops it again afterwards, unless EVERGREEN_KEEP_STACK=1.
 * A stack that was already up is used as it is and left running.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const config = loadStackConfig();
  const stack = localStack(config);
  const startedHere = !(await isStackUp(stack));
  if (startedHere) await stackUp(stack, (line) => say(line));

  const pool = createPool(config.postgres, { max: 1 });
  try {
    // Every service's migrations, as `npm run db:migrate` applies them.
    const applied = await migrate(pool, [...registrationMigrations(), ...activityLogMigrations()]);
    say(applied.length > 0 ? `applied ${applied.join(', ')}` : 'database schema is up to date');
  } finally {
    await pool.end();
  }
  const schemas = await registerAllSchemas(config, AvroSerde.forUrl(config.registry.ccompatUrl), 'BACKWARD');
  say(`registered ${schemas.map(({ schema, id }) => `${schema.subject}=${id}`).join(', ')}`);
  const { status } = await applyRelay(config, loadStackEnv());
  say(`connector ${status.name} is ${status.connector.state}`);

  return async () => {
    if (startedHere && process.env.EVERGREEN_KEEP_STACK !== '1') await stackDown(stack, (line) => say(line));
  };
}
