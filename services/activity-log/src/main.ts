import { activityLogProjection, monitorUserProjection } from '@evergreen/consistency';
import { runWorker, startInboxPruning, workerContext } from '@evergreen/consumer';
import { topicsOf } from '@evergreen/event-catalog';
import { createPool } from '@evergreen/platform';
import { userAggregate } from '@evergreen/schemas';
import { activityLogNamespace } from '@evergreen/user-read-model';
import { activityLogGenerations, createGenerationalActivityLog } from './activity-log.ts';

const { config, logger, registry, serde, retry } = workerContext('activity-log');
const pool = createPool(config.postgres, { max: 4 }, logger);

// The activity log checks itself against PostgreSQL and exports the drift it finds.
const driftMonitor = monitorUserProjection({ pool, projection: activityLogProjection(pool), config, registry, logger });
const userTopic = topicsOf(config, [userAggregate]).user;
// The active generation's inbox, pruned past the window its topics' dead letters allow (docs/operations.md#bounded-storage).
const generations = activityLogGenerations(pool);
const inboxPruning = startInboxPruning({
  pool,
  inboxName: async () => activityLogNamespace(await generations.readActive()).inboxName,
  topics: [userTopic],
  brokers: config.kafka.brokers,
  registry,
  logger,
});

await runWorker({
  // Always on the activity log's active generation: a rebuild (`npm run rebuild -- activity-log`)
  // flips it, and the service follows within a second, in that generation's group.
  consumer: createGenerationalActivityLog({
    brokers: config.kafka.brokers,
    topic: userTopic,
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
    await Promise.all([driftMonitor.stop(), inboxPruning.stop()]);
    await pool.end();
  },
});
