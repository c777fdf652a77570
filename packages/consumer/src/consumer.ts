import { logLevel, Partitioners, type Consumer, type EachBatchPayload, type KafkaMessage, type Producer } from 'kafkajs';
import { SerdeError, SerdeErrorCode, type AvroSerde } from '@evergreen/avro-serde';
import { createKafka, type Logger } from '@evergreen/platform';
import type { Registry } from 'prom-client';
import type avro from 'avsc';
import type { AnyAggregate, EventCatalog, EventTypeOf, PayloadOf, TopicsOf } from '@evergreen/event-catalog';
import { DEFAULT_BACKOFF, retryTransient, StopRequestedError, type BackoffOptions, type RetryHooks } from './backoff.ts';
import { deadLetterRecord, mainTopicOf, RETRY_GROUP_HEADER, retryTopic } from './dead-letter.ts';
import { EventDecoder } from './decoder.ts';
import { headersOf, type ConsumedEvent } from './event.ts';
import { kafkaLogCreator } from './kafka-logging.ts';
import { LagTracker, lagAgeProblems } from './lag-age.ts';
import { byTopic, commitIntervalFromEnv, OffsetCommitter, type OffsetCommitTarget } from './offset-committer.ts';
import type { ConsumerMetrics, RecordOutcome } from './metrics.ts';
import { PoisonRecordError } from './poison.ts';
import { traceSlice, type SliceTrace } from './record-tracing.ts';
import { deletionMarkerProblem, lagAgeLimit, maxLagAgeOverride, type LagAgeLimit } from './retention.ts';
import type { PendingOperation, Sink } from './sink.ts';
import { StuckTracker } from './stuck.ts';
import { describeRetention } from './topic-configs.ts';

/**
 * Maps one event to what the sink should do, or to nothing. Pure and quick: the framework calls it
 * once per record and batches the results. It throws PoisonRecordError to refuse a payload.
 * `Payload` is the event's payload as the reader schema decodes it (null for a tombstone).
 */
export type Handler<Op, Payload = unknown> = (event: ConsumedEvent<Payload>) => Op | undefined;

/**
 * Declares a handler for events whose payload has type T, for a handler map that is not checked
 * against a descriptor. The payload was decoded with the reader schema, which is what makes the cast safe.
 */
export function handle<T, Op>(handler: (event: ConsumedEvent<T>) => Op | undefined): Handler<Op> {
  return handler as Handler<Op>;
}

/** A handler for every event type of one aggregate, each given that event's payload type: a missing event type does not compile. */
export type AggregateHandlers<A extends AnyAggregate, Op> = { readonly [E in EventTypeOf<A>]: Handler<Op, PayloadOf<A, E>> };

/** The handlers of a consumer, by aggregate type, then by event type, for every aggregate it reads. */
export type HandlersFor<A extends AnyAggregate, Op> = { readonly [T in A['type']]: AggregateHandlers<Extract<A, { type: T }>, Op> };

/** What a process gives each projection it runs on the framework, whatever the projection writes. */
export interface ProjectionRuntime {
  brokers: string[];
  serde: AvroSerde;
  logger: Logger;
  /** Where its metrics are registered. */
  registry: Registry;
  retry?: BackoffOptions;
}

export interface ConsumerOptions<Op, A extends AnyAggregate = AnyAggregate> {
  /** Names the consumer in logs, metrics and its Kafka client id. */
  name: string;
  groupId: string;
  /** The application's events: reader schemas and tombstones (the framework knows no aggregate of its own). */
  catalog: EventCatalog;
  /** The aggregates this consumer projects. */
  aggregates: readonly A[];
  /**
   * The topic of each aggregate it reads (topicsOf(config, aggregates) for the stack's). The consumer
   * also reads each one's retry topic (`<topic>.retry`, see retryTopic), where `npm run dlq -- replay`
   * puts dead letters back, and applies the records there that are addressed to its group. Both must
   * exist (`npm run connect:apply` creates every aggregate's): start fails otherwise.
   */
  topics: TopicsOf<A>;
  brokers: string[];
  serde: AvroSerde;
  /** One handler per event type of every aggregate read, checked by the compiler against the descriptors. */
  handlers: HandlersFor<A, Op>;
  sink: Sink<Op>;
  logger: Logger;
  metrics: ConsumerMetrics;
  /** Reader schemas to decode into; by default the catalog's schemas of the aggregates read. */
  readers?: readonly avro.Type[];
  /**
   * An event type without a handler: dead-letter it (the default: nothing is lost, it can be
   * replayed once a handler exists), or skip it (for consumers that want only some event types).
   */
  unknownEventTypes?: 'dead-letter' | 'skip';
  /** Partitions worked on at once. Records of one partition are always applied in order. */
  partitionsConsumedConcurrently?: number;
  /**
   * A fetched batch is decoded, applied and committed in slices of at most this many records
   * (default 1000), so memory stays bounded however large the batch, and a long batch commits its
   * progress as it goes.
   */
  maxRecordsPerApply?: number;
  /** Compressed bytes fetched per partition and request (default 256 KiB). */
  maxBytesPerPartition?: number;
  retry?: BackoffOptions;
  /** Where a new group starts: the beginning (rebuilds the projection) or the end. */
  fromBeginning?: boolean;
  /**
   * How long the sink remembers a deletion, in seconds. Start refuses a compacted topic whose
   * delete.retention.ms is not shorter (see deletionMarkerProblem). By default the sink's
   * deletionMemorySeconds (a RedisVersionedSink's marker TTL); a sink that never forgets: no check.
   */
  deletionMarkerTtlSeconds?: number;
  /**
   * How often the group's progress is committed, at most (default 1000 ms, or
   * EVERGREEN_CONSUMER_COMMIT_INTERVAL_MS). A crash or a rebalance re-applies at most this much,
   * harmlessly; a graceful stop commits everything applied. See OffsetCommitter.
   */
  commitIntervalMs?: number;
  /**
   * How old the oldest unprocessed record of a partition may get before lagProblem() (and /ready)
   * reports it. By default EVERGREEN_CONSUMER_MAX_LAG_AGE_MS, else derived per topic from its
   * settings (see lagAgeLimit: 80% of min.compaction.lag.ms for the aggregate topics).
   */
  maxLagAgeMs?: number;
}

export interface ProjectionConsumer {
  start(): Promise<void>;
  /** Finishes the in-flight batches (or abandons their retries), commits what was applied, disconnects. */
  stop(): Promise<void>;
  /** Joined its group and not crashed; for /ready. */
  isReady(): boolean;
  /**
   * Why the consumer can no longer work and the process must be restarted, or undefined; for
   * /health. Set when kafkajs crashed and will not restart its runner (a non-retriable error, or
   * its retries ran out): from then on it fetches nothing, so only a new process makes progress.
   */
  failure(): Error | undefined;
  /**
   * The partitions that have been retrying the same records for longer than `limitMs` (a record
   * the store refuses every time, a missing dead-letter topic, a sink bug), named, or undefined;
   * for /ready. See EVERGREEN_CONSUMER_STUCK_AFTER_MS.
   */
  stuckProblem(limitMs: number, nowMs?: number): string | undefined;
  /** Whether the sink answers; for /ready. */
  probeSink(): Promise<void>;
  /**
   * Why the consumer is further behind than its topics keep what it has not read (a partition
   * whose lag age is past the limit, named), or undefined; for /ready. See lagAgeLimit.
   */
  lagProblem(nowMs?: number): string | undefined;
  readonly consumer: Consumer;
}

/** Start refused: a topic is missing, or its settings break a guarantee the consumer relies on. */
export class TopicSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopicSetupError';
  }
}

/** One record of a batch after decoding and handling. */
type Handled<Op> =
  | { kind: 'operation'; operation: PendingOperation<Op> }
  | { kind: 'skip'; event: ConsumedEvent }
  | { kind: 'poison'; message: KafkaMessage; error: PoisonRecordError }
  /** A record of a retry topic addressed to another group: read past, not counted. */
  | { kind: 'foreign' };

/** The deletion-marker TTL to check the topics against (see ConsumerOptions.deletionMarkerTtlSeconds). */
function deletionMarkerTtlOf<Op, A extends AnyAggregate>(options: ConsumerOptions<Op, A>): number | undefined {
  return options.deletionMarkerTtlSeconds ?? options.sink.deletionMemorySeconds;
}

/**
 * A consumer group that projects outbox events into a store. Per batch of one partition it
 * decodes every record, maps each through its handler, applies the operations to the sink in one
 * call, dead-letters the poison records, and only then resolves and commits the batch's offsets.
 * A transient failure in any step pauses the partition and retries the step with backoff; a
 * record is never skipped and no offset is committed past one that was not applied.
 */
export function createProjectionConsumer<Op, const A extends AnyAggregate>(options: ConsumerOptions<Op, A>): ProjectionConsumer {
  const { name, logger, metrics, sink } = options;
  const kafka = createKafka({ clientId: name, brokers: options.brokers, logLevel: logLevel.WARN, logCreator: kafkaLogCreator(logger) });
  // Smaller fetches than kafkajs' 1 MiB per partition: as fast here, and a third of the memory,
  // since every fetched batch is held decompressed until all its slices are applied.
  // A member that died (kill -9) holds its partitions until its session times out; kafkajs'
  // 30 s default kept a killed populator's partitions, and a restarted broker's groups, unread for
  // half a minute. 10 s is enough here: batches heartbeat between slices and while they retry.
  const consumer = kafka.consumer({
    groupId: options.groupId,
    maxBytesPerPartition: options.maxBytesPerPartition ?? 256 * 1024,
    sessionTimeout: 10_000,
    heartbeatInterval: 2_000,
    rebalanceTimeout: 20_000,
  });
  // The Java-compatible partitioner sends a dead letter's key to the partition number the relay's
  // (Java) producer chose for the original, keeping one key's dead letters in order.
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  const topicsRead: Record<string, string> = options.topics;
  const aggregateTypes = options.aggregates.map((aggregate) => aggregate.type);
  /** Which aggregate a topic (or its retry topic, by mainTopicOf) carries. */
  const aggregateOfTopic = new Map(Object.entries(topicsRead).map(([aggregateType, topic]) => [topic, aggregateType]));
  // Looked up by the names a record carries (its topic's aggregate, its eventType header), which the
  // compiler cannot know: each handler is then given the payload decoded with its own event's schema.
  const handlers = options.handlers as unknown as Record<string, Record<string, Handler<Op> | undefined> | undefined>;
  const decoder = new EventDecoder(options.serde, {
    readers: options.readers ?? options.catalog.schemasOf(aggregateTypes).map((schema) => schema.type),
    isTombstone: (aggregateType, eventType) => options.catalog.isTombstone(aggregateType, eventType),
  });
  const unknown = options.unknownEventTypes ?? 'dead-letter';
  const mainTopics = [...aggregateOfTopic.keys()];
  const retryTopics = new Set(mainTopics.map(retryTopic));
  const subscribed = [...mainTopics, ...retryTopics];
  const lagTracker = new LagTracker();
  const stuck = new StuckTracker();
  let lagLimits = new Map<string, LagAgeLimit>();
  metrics.watchLagAge(name, () => lagTracker.snapshot());
  metrics.watchStuck(name, () => stuck.snapshot());
  const committer = new OffsetCommitter(consumer, options.commitIntervalMs ?? commitIntervalFromEnv());
  let commitTimer: NodeJS.Timeout | undefined;
  /** Set when stop() begins: from then on every applied slice is committed at once, before the group is left. */
  let stopping = false;
  let joined = false;
  let failure: Error | undefined;
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    joined = true;
    lagTracker.keepOnly(payload.memberAssignment);
    committer.keepOnly(payload.memberAssignment);
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart) {
      logger.error({ err: payload.error, restart: true }, 'consumer crashed; kafkajs restarts it');
      return;
    }
    // kafkajs gave up: this consumer fetches nothing more. Liveness fails (runWorker exits the
    // process for its supervisor to restart) rather than a process that idles with 200 on /health.
    failure ??= payload.error;
    logger.fatal({ err: payload.error, restart: false }, 'consumer crashed and kafkajs will not restart it; the process must be restarted');
  });

  async function handleRecord(topic: string, partition: number, message: KafkaMessage): Promise<Handled<Op>> {
    if (retryTopics.has(topic)) {
      // A replayed dead letter is for the group that refused it; every other group reads past it.
      const target = headersOf(message.headers)[RETRY_GROUP_HEADER];
      if (target !== options.groupId) {
        if (target === undefined) logger.warn({ topic, partition, offset: message.offset }, `record without a ${RETRY_GROUP_HEADER} header on a retry topic; no group applies it`);
        return { kind: 'foreign' };
      }
    }
    const aggregateType = aggregateOfTopic.get(mainTopicOf(topic)) as string;
    let event: ConsumedEvent;
    try {
      event = await decoder.decode(aggregateType, topic, partition, message);
    } catch (error) {
      if (error instanceof PoisonRecordError) return { kind: 'poison', message, error };
      throw error;
    }
    const handler = handlers[aggregateType]?.[event.eventType];
    if (!handler) {
      if (unknown === 'skip') return { kind: 'skip', event };
      return { kind: 'poison', message, error: new PoisonRecordError('unknown-event-type', `no handler for event type ${event.eventType}`) };
    }
    try {
      const op = handler(event);
      return op === undefined ? { kind: 'skip', event } : { kind: 'operation', operation: { op, event } };
    } catch (error) {
      // Handlers are pure mappings: what one refuses, it refuses every time.
      const poison = error instanceof PoisonRecordError ? error : new PoisonRecordError('rejected', `handler failed: ${(error as Error).message}`, { cause: error });
      return { kind: 'poison', message, error: poison };
    }
  }

  const sliceSize = options.maxRecordsPerApply ?? 1_000;
  const retryOptions = options.retry ?? DEFAULT_BACKOFF;

  /**
   * Decodes, handles and applies one slice of a batch, and dead-letters its poison; resolves once
   * all of it is durable. `receivedAt`: when the batch arrived, for the records' relay spans.
   */
  async function processSlice(topic: string, partition: number, messages: KafkaMessage[], retrying: (step: string) => RetryHooks, receivedAt: number): Promise<void> {
    const startedAt = Date.now();
    // Decoding is pure, so a transient failure (the registry away) retries the slice from its start.
    const handled = await retryTransient(async () => {
      const results: Handled<Op>[] = [];
      for (const message of messages) results.push(await handleRecord(topic, partition, message));
      return results;
    }, retrying('decode'), retryOptions);
    // Undefined with tracing off: then no span work at all, per record or per slice.
    const traced = traceSlice({ topic, partition, groupId: options.groupId, receivedAt }, messages, startedAt, (index) => handled[index]?.kind === 'foreign');
    try {
      await completeSlice(topic, partition, handled, retrying, traced);
    } catch (error) {
      traced?.end(error);
      throw error;
    }
    traced?.end();
  }

  /** Applies a decoded slice's operations, dead-letters its poison, and counts the outcomes. */
  async function completeSlice(topic: string, partition: number, handled: Handled<Op>[], retrying: (step: string) => RetryHooks, traced: SliceTrace | undefined): Promise<void> {
    const operations = handled.flatMap((entry) => (entry.kind === 'operation' ? [entry.operation] : []));
    /** Where each operation's record is in the slice: only needed for its spans. */
    const recordOf = traced && handled.flatMap((entry, index) => (entry.kind === 'operation' ? [index] : []));
    const apply = () => sink.apply(operations);
    const outcomes = await retryTransient(recordOf ? () => traced.apply(recordOf, sink.store, apply) : apply, retrying('apply'), retryOptions);
    const appliedAt = Date.now();

    // Counted per slice, not per record: label lookups add up at tens of thousands of records a second.
    const counts: Record<RecordOutcome, number> = { applied: 0, stale: 0, skipped: 0, dead_lettered: 0 };
    const latency = metrics.commitToApplySeconds.labels({ consumer: name, topic });
    const debug = logger.isLevelEnabled('debug');
    outcomes.forEach((outcome, index) => {
      const event = (operations[index] as PendingOperation<Op>).event;
      counts[outcome] += 1;
      if (outcome === 'applied') latency.observe(Math.max(0, appliedAt - event.occurredAt) / 1000);
      if (recordOf) traced.outcome(recordOf[index] as number, outcome, event.eventType);
      if (debug) logger.debug({ topic, partition, offset: event.offset, eventId: event.eventId, eventType: event.eventType, version: event.aggregateVersion, outcome }, 'event applied');
    });
    // Indexed, not entries(): no pair allocated per record on the hot path.
    for (let index = 0; index < handled.length; index += 1) {
      const entry = handled[index] as Handled<Op>;
      if (entry.kind === 'skip') {
        counts.skipped += 1;
        traced?.outcome(index, 'skipped', entry.event.eventType);
      }
      if (entry.kind !== 'poison') continue;
      // A record of the retry topic goes to the main topic's dead letters again (deadLetterTopic).
      await retryTransient(() => producer.send(deadLetterRecord({ topic, partition, message: entry.message, group: options.groupId }, entry.error)), retrying('dead_letter'), retryOptions);
      counts.dead_lettered += 1;
      traced?.outcome(index, 'dead_lettered', undefined, entry.error);
      logger.error({ topic, partition, offset: entry.message.offset, eventId: entry.message.headers?.id?.toString(), reason: entry.error.reason, err: entry.error }, 'poison record sent to the dead-letter topic');
    }
    for (const [outcome, count] of Object.entries(counts)) if (count > 0) metrics.records.inc({ consumer: name, topic, outcome }, count);
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { topic, partition } = batch;
    const started = performance.now();
    const receivedAt = Date.now();
    let paused: (() => void) | undefined;
    /** The first offset of the slice being worked on: where a stuck partition is stuck. */
    let sliceOffset = batch.firstOffset() ?? '0';
    // Commits made while this batch runs go through it: see OffsetCommitTarget.
    const throughBatch: OffsetCommitTarget = { commitOffsets: (offsets) => payload.commitOffsetsIfNecessary(byTopic(offsets)) };
    const retrying = (step: string): RetryHooks => ({
      isRunning: () => payload.isRunning() && !payload.isStale(),
      heartbeat: () => payload.heartbeat(),
      // A rebalance surfaces from heartbeat(), outside the retried step, and ends the retry: kafkajs
      // then rejoins and re-fetches from the committed offset. Inside a step, everything is retried.
      isFatal: (error: unknown) => error instanceof PoisonRecordError,
      onRetry: (error: unknown, attempt: number, delayMs: number) => {
        // Stop fetching this partition while it waits; other partitions carry on.
        paused ??= payload.pause();
        stuck.failed(topic, partition, sliceOffset, step, error);
        metrics.retries.inc({ consumer: name, topic, step });
        if (error instanceof SerdeError && error.code === SerdeErrorCode.REGISTRY_UNHEALTHY) {
          // Not the registry being away, and not poison either: it answers, but not what it must have.
          logger.error({ topic, partition, offset: sliceOffset, step, attempt, delayMs, err: error }, 'schema registry unhealthy or misconfigured: retrying, not dead-lettering');
        } else {
          logger.warn({ topic, partition, offset: sliceOffset, step, attempt, delayMs, err: error }, 'transient failure; retrying the batch');
        }
      },
    });

    try {
      lagTracker.progressed(topic, partition, batch.highWatermark, undefined, batch.messages[0]);
      for (let start = 0; start < batch.messages.length; start += sliceSize) {
        // Stopping, or the partition moved to another member: leave the rest to whoever reads it next.
        if (!payload.isRunning() || payload.isStale()) return;
        const slice = batch.messages.slice(start, start + sliceSize);
        sliceOffset = (slice[0] as KafkaMessage).offset;
        await processSlice(topic, partition, slice, retrying, receivedAt);
        stuck.recovered(topic, partition);
        const last = slice[slice.length - 1] as KafkaMessage;
        payload.resolveOffset(last.offset);
        committer.progressed(topic, partition, (BigInt(last.offset) + 1n).toString());
        lagTracker.progressed(topic, partition, batch.highWatermark, last, batch.messages[start + sliceSize]);
        await (stopping ? committer.flush(throughBatch) : committer.commitIfDue(throughBatch));
        await payload.heartbeat();
      }
      // The batch's last offset also covers what kafkajs filtered out (control records), so the group moves past it.
      payload.resolveOffset(batch.lastOffset());
      committer.progressed(topic, partition, (BigInt(batch.lastOffset()) + 1n).toString());
      await (stopping ? committer.flush(throughBatch) : committer.commitIfDue(throughBatch));
      lagTracker.caughtUpTo(topic, partition, batch.highWatermark, batch.lastOffset());
      metrics.lag.set({ consumer: name, topic, partition: String(partition) }, Math.max(0, Number(batch.highWatermark) - Number(batch.lastOffset()) - 1));
      metrics.batchSeconds.observe({ consumer: name, topic }, (performance.now() - started) / 1000);
    } catch (error) {
      // Stopping, or the partition moved to another member: leave the batch's unresolved rest;
      // whoever reads the partition next starts again from the last committed offset.
      if (error instanceof StopRequestedError) return;
      throw error;
    } finally {
      // What this batch applied before a stop interrupted it is committed before the group is left.
      if (stopping) await committer.flush(throughBatch).catch((error: unknown) => logger.warn({ err: error }, 'could not commit the progress of a stopping consumer'));
      // Done with the partition here, one way or another: it is not retrying anything any more.
      stuck.recovered(topic, partition);
      paused?.();
    }
  }

  /**
   * Before joining: every topic and retry topic exists (kafkajs fails on a missing one, and never
   * looks again), the sink's deletion marker outlives the tombstones of each compacted topic, and
   * each topic's lag-age limit, from its settings.
   */
  async function inspectTopics(): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = subscribed.filter((topic) => !existing.has(topic));
      if (missing.length > 0) {
        throw new TopicSetupError(`topic(s) ${missing.join(', ')} do not exist; \`npm run connect:apply\` creates the topics of connect-config/topics.json (each aggregate topic with its .retry and .dlq)`);
      }
      const retentions = await describeRetention(admin, subscribed);
      const ttlSeconds = deletionMarkerTtlOf(options);
      const override = options.maxLagAgeMs ?? maxLagAgeOverride();
      const problems: string[] = [];
      const limits = new Map<string, LagAgeLimit>();
      for (const retention of retentions) {
        const limit = lagAgeLimit(retention, override);
        if (limit) limits.set(retention.topic, limit);
        if (ttlSeconds !== undefined && mainTopicOf(retention.topic) === retention.topic) {
          const problem = deletionMarkerProblem(retention, ttlSeconds);
          if (problem) problems.push(problem);
        }
      }
      if (problems.length > 0) throw new TopicSetupError(problems.join('; '));
      lagLimits = limits;
      logger.info({ lagAgeLimitsMs: Object.fromEntries([...limits].map(([topic, limit]) => [topic, limit.ms])), deletionMarkerTtlSeconds: ttlSeconds }, 'topic settings checked');
    } finally {
      await admin.disconnect();
    }
  }

  return {
    consumer,
    async start() {
      try {
        await inspectTopics();
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
        eachBatch,
      });
      stopping = false;
      // Progress of partitions that went quiet is committed too, not only at the next batch.
      commitTimer = setInterval(() => {
        committer.commitIfDue().catch((error: unknown) => logger.warn({ err: error }, 'offset commit failed; retried at the next interval'));
      }, Math.max(100, committer.intervalMs));
      commitTimer.unref();
      logger.info({ topics: subscribed, groupId: options.groupId, commitIntervalMs: committer.intervalMs }, 'consumer running');
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
      lagTracker.clear();
      stuck.clear();
    },
    isReady: () => joined && failure === undefined,
    failure: () => failure,
    stuckProblem(limitMs, nowMs = Date.now()) {
      const problems = stuck.problems(limitMs, nowMs);
      return problems.length > 0 ? `stuck: ${problems.join('; ')}` : undefined;
    },
    probeSink: () => sink.probe(),
    lagProblem(nowMs = Date.now()) {
      const problems = lagAgeProblems(lagTracker.snapshot(), lagLimits, nowMs);
      return problems.length > 0 ? `behind what the topics keep: ${problems.join('; ')}` : undefined;
    },
  };
}
