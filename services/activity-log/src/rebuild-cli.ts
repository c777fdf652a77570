import { Registry } from 'prom-client';
import { AvroSerde } from '@evergreen/avro-serde';
import { runRebuildCli } from '@evergreen/consumer';
import { topicsOf } from '@evergreen/event-catalog';
import { createLogger, createPool, loadStackConfig } from '@evergreen/platform';
import { userAggregate } from '@evergreen/schemas';
import { activityLogRebuildTarget } from './activity-log.ts';

// `npm run rebuild -- activity-log [...]`: rebuilds the activity log into the next generation (docs/operations.md#rebuild).
await runRebuildCli(process.argv.slice(2), async () => {
  const config = loadStackConfig();
  // The consumer's own logs only when something goes wrong; progress comes as [rebuild] lines.
  const logger = createLogger('activity-log-rebuild', process.env.EVERGREEN_REBUILD_LOG_LEVEL ?? 'warn');
  const pool = createPool(config.postgres, { max: 6 });
  pool.on('error', (error: Error) => logger.warn({ err: error }, 'idle postgres connection failed; the pool replaces it'));
  const target = activityLogRebuildTarget({
    brokers: config.kafka.brokers,
    topic: topicsOf(config, [userAggregate]).user,
    baseGroupId: process.env.EVERGREEN_ACTIVITY_LOG_GROUP,
    pool,
    serde: AvroSerde.forRegistry(config.registry),
    logger,
    registry: new Registry(),
  });
  return { target, close: () => pool.end() };
});
