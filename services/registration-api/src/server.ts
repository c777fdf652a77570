import { AvroSerde } from '@evergreen/avro-serde';
import { createOutbox } from '@evergreen/outbox';
import { Redis } from 'ioredis';
import { ConfigError, createLogger, createPool, loadStackConfig, type StackConfig } from '@evergreen/platform';
import { buildApp } from './app.ts';

let config: StackConfig;
try {
  config = loadStackConfig();
} catch (error) {
  // A wrong or missing setting stops the service at once, naming it, rather than failing later.
  if (!(error instanceof ConfigError)) throw error;
  console.error(`[registration-api] configuration: ${error.message}`);
  process.exit(78);
}
const logger = createLogger('registration-api', config.logLevel);
const pool = createPool(config.postgres);
pool.on('error', (error: Error) => logger.warn({ err: error }, 'idle postgres connection failed; the pool replaces it'));
// Commands fail after a short wait instead of queueing forever: a read then answers 5xx, a probe 503.
const redis = new Redis({ host: config.redis.host, port: config.redis.port, db: config.redis.db, maxRetriesPerRequest: 1 });
redis.on('error', (error: Error) => logger.warn({ err: error }, 'redis connection error; ioredis reconnects'));
const outbox = createOutbox({ serde: AvroSerde.forUrl(config.registry.ccompatUrl), config });
const app = await buildApp({ pool, outbox, redis, readYourWritesTimeoutMs: config.api.readYourWritesTimeoutMs, logger });

let closing = false;
const shutdown = async (signal: string) => {
  if (closing) return;
  closing = true;
  logger.info({ signal }, 'shutting down: draining in-flight requests');
  // A second signal or a hung request must not keep the process alive forever.
  setTimeout(() => process.exit(1), 10_000).unref();
  // close() stops accepting connections and waits for the requests in flight to be answered.
  await app.close();
  await pool.end();
  redis.disconnect();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

await app.listen({ host: config.api.host, port: config.api.port });
