import type { Admin } from 'kafkajs';
import type { AnyAggregate } from '@evergreen/event-catalog';
import { DeadLetterWriter, retryTopic } from './dead-letter.ts';
import { EventDecoder } from './decoder.ts';
import { kafkaParts, watchGroup } from './kafka-adapter.ts';
import { LagTracker, lagAgeProblems } from './lag-age.ts';
import { commitIntervalFromEnv, OffsetCommitter } from './offset-committer.ts';
import type { ConsumerOptions, Handler, ProjectionConsumer } from './options.ts';
import { ParkWatch } from './park.ts';
import { PartitionRunner } from './partition-runner.ts';
import { RecordHandler } from './record-handler.ts';
import { maxLagAgeOverride, type LagAgeLimit } from './retention.ts';
import { DEFAULT_RETRY, type RetryOptions } from './retry-policy.ts';
import { SliceProcessor } from './slice-processor.ts';
import { StuckTracker } from './stuck.ts';
import { checkTopics, TopicSetupError } from './topic-preflight.ts';

export { handle } from './options.ts';
export type { AggregateHandlers, ConsumerOptions, Handler, HandlersFor, ProjectionConsumer, ProjectionRuntime } from './options.ts';
export { TopicSetupError } from './topic-preflight.ts';

/**
 * A consumer group that projects outbox events into a store. Per batch of one partition, slice by
 * slice: every record decoded and mapped through its handler, the operations applied to the sink
 * in one call, what cannot pass dead-lettered, and only then the offsets resolved and committed.
 * What may pass later is retried with backoff, the partition paused meanwhile; a record that never
 * will is dead-lettered and the partition moves on; no offset is committed past a record that was
 * neither applied nor dead-lettered. The parts: RecordHandler, SliceProcessor (with applyIsolating
 * and runStep), PartitionRunner, OffsetCommitter, checkTopics, kafkaParts.
 */
export function createProjectionConsumer<Op, const A extends AnyAggregate>(options: ConsumerOptions<Op, A>): ProjectionConsumer {
  const { name, logger, metrics, sink } = options;
  const { kafka, consumer, producer } = kafkaParts({ name, groupId: options.groupId, brokers: options.brokers, logger, maxBytesPerPartition: options.maxBytesPerPartition });
  const retry: RetryOptions = { ...DEFAULT_RETRY, ...options.retry };
  const topicsRead: Record<string, string> = options.topics;
  /** Which aggregate a topic (or its retry topic, by mainTopicOf) carries. */
  const aggregateOfTopic = new Map(Object.entries(topicsRead).map(([aggregateType, topic]) => [topic, aggregateType]));
  const mainTopics = [...aggregateOfTopic.keys()];
  const retryTopics = new Set(mainTopics.map(retryTopic));
  const subscribed = [...mainTopics, ...retryTopics];
  const aggregateTypes = options.aggregates.map((aggregate) => aggregate.type);

  const records = new RecordHandler<Op>({
    groupId: options.groupId,
    aggregateOfTopic,
    retryTopics,
    decoder: new EventDecoder(options.serde, {
      readers: options.readers ?? options.catalog.schemasOf(aggregateTypes).map((schema) => schema.type),
      aggregates: options.aggregates,
    }),
    // Looked up by the names a record carries (its topic's aggregate, its eventType header), which the
    // compiler cannot know: each handler is then given the payload decoded with its own event's schema.
    handlers: options.handlers as unknown as Record<string, Record<string, Handler<Op>>>,
    unhandledEventTypes: options.unknownEventTypes ?? 'dead-letter',
    logger,
  });
  const lag = new LagTracker();
  const stuck = new StuckTracker();
  // Connected only once a record is retried: the only time parks are asked for.
  let parkAdmin: Promise<Admin> | undefined;
  const parks = new ParkWatch(options.groupId, () => {
    parkAdmin ??= (async () => {
      const admin = kafka.admin();
      await admin.connect();
      return admin;
    })().catch((error: unknown) => {
      parkAdmin = undefined;
      throw error;
    });
    return parkAdmin;
  });
  const committer = new OffsetCommitter(consumer, options.commitIntervalMs ?? commitIntervalFromEnv());
  metrics.watchLagAge(name, () => lag.snapshot());
  metrics.watchStuck(name, options.groupId, () => stuck.snapshot());
  /** Set when stop() begins: from then on every applied slice is committed at once, before the group is left. */
  let stopping = false;
  const runner = new PartitionRunner({
    name,
    slices: new SliceProcessor<Op>({ name, groupId: options.groupId, records, sink, deadLetters: new DeadLetterWriter(producer, retry), metrics, logger, retry }),
    committer,
    lag,
    stuck,
    parks,
    metrics,
    logger,
    sliceSize: options.maxRecordsPerApply ?? 1_000,
    isStopping: () => stopping,
  });

  let lagLimits = new Map<string, LagAgeLimit>();
  let commitTimer: NodeJS.Timeout | undefined;
  let joined = false;
  let failure: Error | undefined;
  watchGroup(consumer, logger, {
    joined(assignment) {
      joined = true;
      lag.keepOnly(assignment);
      committer.keepOnly(assignment);
    },
    crashedForGood(error) {
      // kafkajs gave up: this consumer fetches nothing more. Liveness fails (runWorker exits the
      // process for its supervisor to restart) rather than a process that idles with 200 on /health.
      failure ??= error;
    },
  });

  async function preflight(): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const deletionMarkerTtlSeconds = options.deletionMarkerTtlSeconds ?? sink.deletionMemorySeconds;
      lagLimits = await checkTopics(admin, { topics: subscribed, deletionMarkerTtlSeconds, maxLagAgeMs: options.maxLagAgeMs ?? maxLagAgeOverride() });
      logger.info({ lagAgeLimitsMs: Object.fromEntries([...lagLimits].map(([topic, limit]) => [topic, limit.ms])), deletionMarkerTtlSeconds }, 'topic settings checked');
    } finally {
      await admin.disconnect();
    }
  }

  return {
    consumer,
    async start() {
      try {
        await preflight();
      } catch (error) {
        if (error instanceof TopicSetupError) logger.error({ err: error }, 'refusing to start: the topics do not hold what this consumer relies on');
        throw error;
      }
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topics: subscribed, fromBeginning: options.fromBeginning ?? true });
      await consumer.run({
        eachBatchAutoResolve: false,
        // Committed by the OffsetCommitter: kafkajs' autoCommit commits after every batch.
        autoCommit: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 3,
        eachBatch: runner.eachBatch,
      });
      stopping = false;
      // Progress of partitions that went quiet is committed too, not only at the next batch.
      commitTimer = setInterval(() => {
        committer.commitIfDue().catch((error: unknown) => logger.warn({ err: error }, 'offset commit failed; retried at the next interval'));
      }, Math.max(100, committer.intervalMs));
      commitTimer.unref();
      logger.info({ topics: subscribed, groupId: options.groupId, commitIntervalMs: committer.intervalMs, retry }, 'consumer running');
    },
    async stop() {
      stopping = true;
      clearInterval(commitTimer);
      // Still in the group: what was applied is committed, and every batch finishing from now on commits at once.
      await committer.flush().catch((error: unknown) => logger.warn({ err: error }, 'could not commit the progress of a stopping consumer'));
      await consumer.disconnect();
      committer.clear();
      await producer.disconnect();
      joined = false;
      lag.clear();
      stuck.clear();
      parks.clear();
      const admin = parkAdmin;
      parkAdmin = undefined;
      await admin?.then((connected) => connected.disconnect()).catch(() => undefined);
    },
    isReady: () => joined && failure === undefined,
    failure: () => failure,
    stuckProblem(limitMs, nowMs = Date.now()) {
      const problems = stuck.problems(limitMs, nowMs);
      return problems.length > 0 ? `stuck: ${problems.join('; ')}` : undefined;
    },
    probeSink: () => sink.probe(),
    lagProblem(nowMs = Date.now()) {
      const problems = lagAgeProblems(lag.snapshot(), lagLimits, nowMs);
      return problems.length > 0 ? `behind what the topics keep: ${problems.join('; ')}` : undefined;
    },
  };
}
