import { AvroSerde } from '@evergreen/avro-serde';
import { createOutbox } from '@evergreen/outbox';
import { createLogger, createPool, loadStackConfig } from '@evergreen/platform';
import { buildApp } from './app.ts';

const config = loadStackConfig();
const logger = createLogger('registration-api', config.logLevel);
const pool = createPool(config.postgres);
const outbox = createOutbox({ serde: AvroSerde.forUrl(config.registry.ccompatUrl), config });
const app = await buildApp({ pool, outbox, logger });

let closing = false;
const shutdown = async (signal: string) => {
  if (closing) return;
  closing = true;
  logger.info({ signal }, 'shutting down: draining in-flight requests');
  // A second signal or a hung request must not keep the process alive forever.
  setTimeout(() => process.exit(1), 10_000).unref();
  await app.close();
  await pool.end();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

await app.listen({ host: config.api.host, port: config.api.port });
