import { AvroSerde } from '@evergreen/avro-serde';
import { createOutbox } from '@evergreen/outbox';
import { ConfigError, createLogger, createPool, createRedis, exitOnFatalErrors, loadStackConfig, startTracing, type StackConfig } from '@evergreen/platform';
import { eventCatalog } from '@evergreen/schemas';
import { buildApp } from './app.ts';
import { API_POOL_OPTIONS, API_REGISTRY_TIMEOUT_MS, apiRedisOptions } from './clients.ts';

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
// Spans exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise off, at no cost (docs/tracing.md).
const tracing = await startTracing({ serviceName: 'registration-api', logger });
// An error nobody handled ends the process (logged fatally, exit non-zero) for the supervisor to
// restart it, rather than leaving it half-working.
exitOnFatalErrors(logger);
// Bounded waits (clients.ts): with PostgreSQL down or stuck a write answers 503 within seconds,
// with Redis down a read falls back to PostgreSQL; both reconnect by themselves when they return.
const pool = createPool(config.postgres, API_POOL_OPTIONS, logger);
const redis = createRedis(config.redis, apiRedisOptions(config.redis));
redis.on('error', (error: Error) => logger.warn({ err: error }, 'redis connection error; ioredis reconnects'));
// Schema ids are looked up inside the write's transaction: a registry that does not answer fails it
// within API_REGISTRY_TIMEOUT_MS (503 naming the registry), below the pool's idle-in-transaction bound.
const outbox = createOutbox({ serde: AvroSerde.forUrl(config.registry.ccompatUrl, { timeoutMs: API_REGISTRY_TIMEOUT_MS }), config, catalog: eventCatalog });
const app = await buildApp({
  pool,
  outbox,
  redis,
  readYourWritesTimeoutMs: config.api.readYourWritesTimeoutMs,
  retention: { idempotencyTtlHours: config.api.idempotencyTtlHours, userDeletionRetentionDays: config.api.userDeletionRetentionDays },
  logger,
});

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
  // The last requests' spans, still in the batch, are exported before the exit.
  await tracing.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'could not export the last spans'));
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

await app.listen({ host: config.api.host, port: config.api.port });
