import type pg from 'pg';
import {
  ConsumerMetrics,
  createProjectionConsumer,
  PostgresInboxSink,
  type AggregateHandlers,
  type ConsumedEvent,
  type Handler,
  type InboxOperation,
  type ProjectionConsumer,
  type ProjectionRuntime,
} from '@evergreen/consumer';
import { readingUsers, type UserAggregate, type UserProfileUpdated, type UserRegistered, type UserSnapshot } from '@evergreen/schemas';

/** Its inbox entries are told apart from other consumers' by this name. */
export const USER_REPLICA_CONSUMER = 'order-service.user-replica';

type UserState = UserRegistered | UserProfileUpdated | UserSnapshot;

/**
 * Writes the user at the event's version unless the replica holds that version or a newer one, or
 * the user was deleted at a newer version: events of one user arrive in order, but a rebalance or
 * a replay can bring an older one again.
 */
export const upsertUser = (user: UserState): InboxOperation => async (tx) => {
  await tx.query(
    `INSERT INTO user_replica (id, email, name, version)
     SELECT $1, $2, $3, $4
     WHERE NOT EXISTS (SELECT 1 FROM user_replica_deletions WHERE id = $1 AND version >= $4)
     ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name, version = EXCLUDED.version, replicated_at = now()
     WHERE user_replica.version < EXCLUDED.version`,
    [user.userId, user.email, user.name, user.version],
  );
};

/** Removes the user and remembers the deletion's version, which no older event can get past. */
export const forgetUser = (userId: string, version: number): InboxOperation => async (tx) => {
  await tx.query(
    `INSERT INTO user_replica_deletions (id, version) VALUES ($1, $2)
     ON CONFLICT (id) DO UPDATE SET version = GREATEST(user_replica_deletions.version, EXCLUDED.version)`,
    [userId, version],
  );
  await tx.query('DELETE FROM user_replica WHERE id = $1 AND version < $2', [userId, version]);
};

const replicateUser: Handler<InboxOperation, UserState> = (event: ConsumedEvent<UserState>) => {
  // The framework refused a payload whose userId or version disagrees with the record.
  return upsertUser(event.payload);
};

/** The replica's handlers: every state event rewrites the user, the tombstone removes it. */
export const userReplicaHandlers: AggregateHandlers<UserAggregate, InboxOperation> = {
  UserRegistered: replicateUser,
  UserProfileUpdated: replicateUser,
  UserSnapshot: replicateUser,
  UserDeleted: (event) => forgetUser(event.aggregateId, event.aggregateVersion),
};

export interface UserReplicaOptions extends ProjectionRuntime {
  /** The user topic: compacted, so from offset 0 it holds every live user's newest state. */
  topic: string;
  /** The service's own group (EVERGREEN_ORDER_USERS_GROUP): every instance shares its partitions. */
  groupId: string;
  /** The service's own database. */
  pool: pg.Pool;
}

/**
 * The order service's replica of the users, kept by the consumer framework from the user topic in a
 * group of its own, through the inbox (PostgresInboxSink). A fresh group reads the compacted topic
 * from offset 0: the whole current state of every user, however long ago it was published.
 */
export function createUserReplica(options: UserReplicaOptions): ProjectionConsumer {
  return createProjectionConsumer({
    name: 'order-service-user-replica',
    groupId: options.groupId,
    ...readingUsers(options.topic),
    brokers: options.brokers,
    serde: options.serde,
    handlers: { user: userReplicaHandlers },
    sink: new PostgresInboxSink(options.pool, USER_REPLICA_CONSUMER),
    logger: options.logger,
    metrics: new ConsumerMetrics(options.registry),
    retry: options.retry,
  });
}
