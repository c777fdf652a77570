import { loadStackConfig, loadStackEnv } from '@evergreen/platform';
import { applyConnector, ensureTopics } from './apply.ts';
import { outboxConnector, relayTopics } from './connector.ts';

// `npm run connect:apply`: topics first (so they get their partition counts), then the connector.
const config = loadStackConfig();
const values = loadStackEnv();
try {
  const created = await ensureTopics(config, relayTopics(values));
  if (created.length > 0) console.log(`[connect] created topics: ${created.join(', ')}`);
  const connector = outboxConnector(values);
  const status = await applyConnector(config.connect.url, connector);
  console.log(`[connect] ${status.name} is ${status.connector.state} with ${status.tasks.length} task(s) RUNNING`);
} catch (error) {
  console.error(`[connect] FAILED: ${(error as Error).message}`);
  process.exit(1);
}
