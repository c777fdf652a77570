import { activityLogMigrations } from '@evergreen/activity-log';
import { assertApartFromDemo, holdNamespace, isAnyComponentRunning, isStackUp, localStack, prepareNamespace, resetNamespace, stackDown, stackUp } from '@evergreen/local-stack';
import { loadStackConfig, loadStackEnv } from '@evergreen/platform';
import { orderServiceMigrations } from '@evergreen/order-service';
import { registrationMigrations } from '@evergreen/registration-api';
import { e2eNamespace, enterE2eNamespace } from './support/namespace.ts';
import { removeScratchLeftovers } from './support/scratch-leftovers.ts';

const say = (line: string) => console.log(`[e2e] ${line}`);

/**
 * End-to-end tests run against the real stack. When it is down, this starts it (downloading the
 * distributions on the first run) and stops it again afterwards, unless EVERGREEN_KEEP_STACK=1.
 * A stack that was already running (even a component of it, healthy or not) is used, healed, and left running.
 *
 * The stack's processes are the demo's, but the tests keep to their own namespace on them
 * (support/namespace.ts). Unless another run is using it (or EVERGREEN_E2E_KEEP_DATA=1), the
 * namespace is emptied first, with what single tests left beside it when a run was killed
 * (support/scratch-leftovers.ts), so every run starts as the first did. Then this creates its database,
 * migrates it, registers the schemas under its topics' subjects, creates its topics and applies its
 * connector, which stays registered in Kafka Connect afterwards so its replication slot keeps
 * advancing (a slot without a reader would pin WAL).
 */
export default async function setup(): Promise<() => Promise<void>> {
  const outside = { ...process.env };
  // Brought up exactly as `npm start` brings it up, with the demo's settings.
  const stack = localStack(loadStackConfig(outside));
  // Stopped at the end only when this run started it from nothing: a component that is running
  // but failed its health check (a busy machine) is brought back, and the stack left up.
  const startedHere = !isAnyComponentRunning(stack);
  if (!(await isStackUp(stack))) await stackUp(stack, (line) => say(line));

  // From here on, everything this process loads config for is the tests' namespace.
  enterE2eNamespace(process.env);
  const testEnv = loadStackEnv();
  assertApartFromDemo(loadStackEnv(outside), testEnv, 'e2e');
  const config = loadStackConfig();

  const hold = await holdNamespace(config);
  try {
    if (!hold.exclusive) say('another test run is using the namespace: keeping its data');
    else if (process.env.EVERGREEN_E2E_KEEP_DATA === '1') say('EVERGREEN_E2E_KEEP_DATA=1: keeping the data of earlier runs');
    else {
      await resetNamespace(config, say);
      await removeScratchLeftovers(config, say);
    }
    await hold.share();
    // Every service's migrations, as `npm run db:migrate` applies them.
    await prepareNamespace(stack, config, testEnv, { main: [...registrationMigrations(), ...activityLogMigrations()], orders: orderServiceMigrations() }, say);
  } catch (error) {
    await hold.release();
    throw error;
  }

  return async () => {
    await hold.release();
    for (const key of Object.keys(e2eNamespace(outside))) {
      if (outside[key] === undefined) delete process.env[key];
      else process.env[key] = outside[key];
    }
    if (startedHere && process.env.EVERGREEN_KEEP_STACK !== '1') await stackDown(stack, (line) => say(line));
  };
}
