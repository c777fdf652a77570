import { exitCodeOf } from '@evergreen/errors';
import { loadStackConfig, loadStackEnv } from '@evergreen/platform';
import { applyRelay } from './apply-relay.ts';

// `npm run connect:apply`
try {
  const { createdTopics, reconfiguredTopics, statuses } = await applyRelay(loadStackConfig(), loadStackEnv());
  if (createdTopics.length > 0) console.log(`[connect] created topics: ${createdTopics.join(', ')}`);
  if (reconfiguredTopics.length > 0) console.log(`[connect] set the settings of topics.json on: ${reconfiguredTopics.join(', ')}`);
  for (const status of statuses) console.log(`[connect] ${status.name} is ${status.connector.state} with ${status.tasks.length} task(s) RUNNING`);
} catch (error) {
  console.error(`[connect] FAILED: ${(error as Error).message}`);
  process.exit(exitCodeOf(error));
}
