import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { AvroSerde } from '@evergreen/avro-serde';
import { aggregateTopic, createLogger, loadStackConfig } from '@evergreen/platform';
import { createCachePopulator } from './cache-populator.ts';

const config = loadStackConfig();
const logger = createLogger('cache-populator', config.logLevel);
const redis = new Redis({ host: config.redis.host, port: config.redis.port });
const populator = createCachePopulator({
  brokers: config.kafka.brokers,
  topic: aggregateTopic(config, 'user'),
  groupId: process.env.EVERGREEN_POPULATOR_GROUP ?? 'evergreen-cache-populator',
  redis,
  serde: AvroSerde.forUrl(config.registry.ccompatUrl),
  logger,
});

const health = createServer((request, response) => {
  if (request.url === '/health') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', ...populator.counters }));
  } else {
    response.writeHead(404).end();
  }
});

let closing = false;
const shutdown = async (signal: string) => {
  if (closing) return;
  closing = true;
  logger.info({ signal }, 'shutting down: finishing the in-flight record and committing');
  setTimeout(() => process.exit(1), 15_000).unref();
  await populator.stop();
  redis.disconnect();
  health.close();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

await populator.start();
health.listen(config.populator.port, config.api.host, () => logger.info({ port: config.populator.port }, 'health endpoint listening'));
