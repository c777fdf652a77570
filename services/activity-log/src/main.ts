import { runWorker, workerContext } from '@evergreen/consumer';
import { aggregateTopic, createPool } from '@evergreen/platform';
import { createActivityLog } from './activity-log.ts';

const { config, logger, registry, serde } = workerContext('activity-log');
const pool = createPool(config.postgres, { max: 4 });
pool.on('error', (error: Error) => logger.warn({ err: error }, 'idle postgres connection failed; the pool replaces it'));

await runWorker({
  consumer: createActivityLog({
    brokers: config.kafka.brokers,
    topic: aggregateTopic(config, 'user'),
    groupId: process.env.EVERGREEN_ACTIVITY_LOG_GROUP ?? 'evergreen-activity-log',
    pool,
    serde,
    logger,
    registry,
  }),
  logger,
  registry,
  ops: { host: config.api.host, port: config.activityLog.port },
  closeResources: () => pool.end(),
});
