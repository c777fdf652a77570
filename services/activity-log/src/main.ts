import { activityLogProjection, monitorUserProjection } from '@evergreen/consistency';
import { runWorker, workerContext } from '@evergreen/consumer';
import { topicsOf } from '@evergreen/event-catalog';
import { createPool } from '@evergreen/platform';
import { userAggregate } from '@evergreen/schemas';
import { createGenerationalActivityLog } from './activity-log.ts';

const { config, logger, registry, serde, retry } = workerContext('activity-log');
const pool = createPool(config.postgres, { max: 4 }, logger);

// The activity log checks itself against PostgreSQL and exports the drift it finds.
const driftMonitor = monitorUserProjection({ pool, projection: activityLogProjection(pool), config, registry, logger });

await runWorker({
  // Always on the activity log's active generation: a rebuild (`npm run rebuild -- activity-log`)
  // flips it, and the service follows within a second, in that generation's group.
  consumer: createGenerationalActivityLog({
    brokers: config.kafka.brokers,
    topic: topicsOf(config, [userAggregate]).user,
    baseGroupId: process.env.EVERGREEN_ACTIVITY_LOG_GROUP,
    pool,
    serde,
    logger,
    registry,
    retry,
  }),
  logger,
  registry,
  ops: { host: config.api.host, port: config.activityLog.port },
  stuckAfterMs: config.consumers.stuckAfterMs,
  closeResources: async () => {
    await driftMonitor.stop();
    await pool.end();
  },
});
