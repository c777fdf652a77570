import type pg from 'pg';
import {
  ConsumerMetrics,
  createGenerationalConsumer,
  createProjectionConsumer,
  PostgresGenerationStore,
  PostgresInboxSink,
  type GenerationalConsumer,
  type ProjectionConsumer,
  type ProjectionRuntime,
  type RebuildTarget,
} from '@evergreen/consumer';
import { readingUsers } from '@evergreen/schemas';
import { activityLogNamespace, FIRST_GENERATION } from '@evergreen/user-read-model';
import { activityHandlersFor } from './activity-projection.ts';

/** Its inbox entries (of generation 1) are told apart from other consumers' by this name. */
export const ACTIVITY_LOG_CONSUMER = activityLogNamespace().inboxName;

export interface ActivityLogOptions extends ProjectionRuntime {
  topic: string;
  groupId: string;
  pool: pg.Pool;
  /** The generation whose tables and inbox name it writes (default 1: user_activity, user_activity_daily, activity-log). */
  generation?: number;
  /** Metrics to count into; by default new ones on `registry` (which accepts them once). */
  metrics?: ConsumerMetrics;
  /**
   * Partitions applied at once (default 1). Every event also bumps one of a handful of daily
   * counter rows, so batches of different partitions would only queue on those rows or deadlock
   * on them (taken in different orders); at a replay from offset 0 they did, every second.
   */
  partitionsConsumedConcurrently?: number;
}

/** The activity log's generations: the row 'activity-log' of projection_generation, tables and an inbox name per generation. */
export function activityLogGenerations(pool: pg.Pool): PostgresGenerationStore {
  return new PostgresGenerationStore(pool, {
    projection: 'activity-log',
    names: (generation) => {
      const { tables, inboxName } = activityLogNamespace(generation);
      return { tables: { user_activity: tables.activity, user_activity_daily: tables.daily }, inboxName };
    },
  });
}

/**
 * The user activity log in PostgreSQL, one generation of it, kept by the consumer framework from
 * the user topic in a group of its own. Each batch is fenced: once a newer generation is active,
 * this one writes nothing more (its batches are retried, uncommitted, until it is stopped).
 */
export function createActivityLog(options: ActivityLogOptions): ProjectionConsumer {
  const generation = options.generation ?? FIRST_GENERATION;
  const namespace = activityLogNamespace(generation);
  const generations = activityLogGenerations(options.pool);
  return createProjectionConsumer({
    name: 'activity-log',
    groupId: options.groupId,
    ...readingUsers(options.topic),
    brokers: options.brokers,
    serde: options.serde,
    handlers: { user: activityHandlersFor(namespace.tables) },
    sink: new PostgresInboxSink(options.pool, namespace.inboxName, { fence: (tx) => generations.fence(tx, generation) }),
    logger: options.logger,
    metrics: options.metrics ?? new ConsumerMetrics(options.registry),
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
    retry: options.retry,
  });
}

export interface GenerationalActivityLogOptions extends Omit<ActivityLogOptions, 'groupId' | 'generation' | 'metrics'> {
  /** Generation 1's group (EVERGREEN_ACTIVITY_LOG_GROUP); generation n's is `<base>.g<n>`. Default evergreen-activity-log. */
  baseGroupId?: string;
  /** How often the active generation is read (default 1 s). */
  generationPollMs?: number;
}

/** The activity log as the service runs it: always on the active generation, switching when a rebuild flips it. */
export function createGenerationalActivityLog(options: GenerationalActivityLogOptions): GenerationalConsumer {
  const metrics = new ConsumerMetrics(options.registry);
  const generations = activityLogGenerations(options.pool);
  return createGenerationalConsumer({
    readActive: () => generations.readActive(),
    build: (generation) => createActivityLog({ ...options, generation, groupId: activityLogNamespace(generation, options.baseGroupId).groupId, metrics }),
    logger: options.logger,
    pollIntervalMs: options.generationPollMs,
    retry: options.retry,
  });
}

/** What `npm run rebuild -- activity-log` rebuilds: the activity log's own consumer, for the next generation. */
export function activityLogRebuildTarget(options: Omit<ActivityLogOptions, 'groupId' | 'generation' | 'metrics'> & { baseGroupId?: string }): RebuildTarget {
  const metrics = new ConsumerMetrics(options.registry);
  const groupId = (generation: number) => activityLogNamespace(generation, options.baseGroupId).groupId;
  return {
    store: activityLogGenerations(options.pool),
    topics: [options.topic],
    brokers: options.brokers,
    groupId,
    consumerFor: (generation) => createActivityLog({ ...options, generation, groupId: groupId(generation), metrics }),
  };
}
