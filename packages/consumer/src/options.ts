import type { Consumer } from 'kafkajs';
import type { AvroSerde } from '@evergreen/avro-serde';
import type { Logger } from '@evergreen/platform';
import type { Registry } from 'prom-client';
import type avro from 'avsc';
import type { AnyAggregate, EventCatalog, EventTypeOf, PayloadOf, TopicsOf } from '@evergreen/event-catalog';
import type { ConsumedEvent } from './event.ts';
import type { ConsumerMetrics } from './metrics.ts';
import type { RetryOptions } from './retry-policy.ts';
import type { Sink } from './sink.ts';

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
  retry?: Partial<RetryOptions>;
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
   * replayed once a handler exists), or skip it (for consumers that want only some event types;
   * they also read past event types their catalog does not declare yet).
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
  /** Backoff, and how long an error of unknown kind may last before its record is dead-lettered (see RetryOptions). */
  retry?: Partial<RetryOptions>;
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
