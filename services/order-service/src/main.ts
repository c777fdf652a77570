import { logLevel } from 'kafkajs';
import { kafkaLogCreator, runWorker, startInboxPruning, watchCatchUp, workerContext } from '@evergreen/consumer';
import { topicsOf } from '@evergreen/event-catalog';
import { createOutbox } from '@evergreen/outbox';
import { createKafka, createPool } from '@evergreen/platform';
import { eventCatalog, userAggregate } from '@evergreen/schemas';
import { buildApp } from './app.ts';
import { createUserReplica, USER_REPLICA_CONSUMER } from './replica/user-replica.ts';

const { config, logger, registry, serde, retry } = workerContext('order-service');
const groupId = config.orders.usersGroupId;
const userTopic = topicsOf(config, [userAggregate]).user;
// Its own database: orders, their outbox, and the replica of the users.
const pool = createPool({ ...config.postgres, database: config.orders.database }, { max: 8 }, logger);
const outbox = createOutbox({ serde, config, catalog: eventCatalog });

// Where the user topic ends now: the replica must hold at least that much before the service takes
// orders. A fresh group reads the compacted topic from offset 0, which holds every live user's
// newest state however long ago it was published: the bootstrap is that read.
const admin = createKafka({ clientId: 'order-service-bootstrap', brokers: config.kafka.brokers, logLevel: logLevel.WARN, logCreator: kafkaLogCreator(logger) }).admin();
await admin.connect();
const bootstrap = await watchCatchUp({ admin, groupId, topics: [userTopic], logger, what: 'user replica bootstrap' });

// The replica's inbox, pruned past the window the user topic's dead letters allow (docs/operations.md#bounded-storage).
const inboxPruning = startInboxPruning({ pool, inboxName: () => USER_REPLICA_CONSUMER, topics: [userTopic], brokers: config.kafka.brokers, registry, logger });

await runWorker({
  consumer: createUserReplica({ brokers: config.kafka.brokers, topic: userTopic, groupId, pool, serde, logger, registry, retry }),
  logger,
  registry,
  ops: { host: config.api.host, port: config.orders.port },
  stuckAfterMs: config.consumers.stuckAfterMs,
  async notReadyBecause() {
    if (bootstrap.caughtUp()) return undefined;
    const progress = bootstrap.progress();
    return `user replica bootstrapping from ${userTopic}: ${progress ? `${progress.done}/${progress.total} record(s), ${progress.partitionsDone}/${progress.partitions} partition(s)` : 'starting'}`;
  },
  // The API and the worker's /health, /ready and /metrics on one port.
  async serve(health) {
    const app = await buildApp({ pool, outbox, registry, logger, ...health });
    await app.listen({ host: config.api.host, port: config.orders.port });
    return { close: () => app.close() };
  },
  closeResources: async () => {
    bootstrap.stop();
    await inboxPruning.stop();
    await admin.disconnect();
    await pool.end();
  },
});
