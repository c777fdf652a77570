import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { lagAgeSeconds, type PartitionProgress } from './lag-age.ts';
import type { StuckPartition } from './stuck.ts';

export type RecordOutcome = 'applied' | 'stale' | 'skipped' | 'dead_lettered';

/** The consumer's Prometheus metrics; `consumer` is the label that tells consumers of one process apart. */
export class ConsumerMetrics {
  readonly records: Counter<'consumer' | 'topic' | 'outcome'>;
  readonly retries: Counter<'consumer' | 'topic' | 'step'>;
  readonly deadLetters: Counter<'consumer' | 'topic' | 'reason'>;
  readonly batchSeconds: Histogram<'consumer' | 'topic'>;
  readonly lag: Gauge<'consumer' | 'topic' | 'partition'>;
  readonly commitToApplySeconds: Histogram<'consumer' | 'topic'>;
  readonly lagAgeSeconds: Gauge<'consumer' | 'topic' | 'partition'>;
  readonly stuckSeconds: Gauge<'consumer' | 'group' | 'topic' | 'partition' | 'offset'>;
  private readonly lagSources = new Map<string, () => Iterable<PartitionProgress>>();
  private readonly stuckSources = new Map<string, { group: string; source: () => Iterable<StuckPartition> }>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.records = new Counter({
      name: 'evergreen_consumer_records_total',
      help: 'Records handled, by outcome: applied, stale (the store already had that version or newer), skipped (no handler), dead_lettered.',
      labelNames: ['consumer', 'topic', 'outcome'],
      registers,
    });
    this.retries = new Counter({
      name: 'evergreen_consumer_retries_total',
      help: 'Failures retried with backoff (transient ones, and unknown ones within their budget), by the step that failed (decode, apply, dead_letter).',
      labelNames: ['consumer', 'topic', 'step'],
      registers,
    });
    this.deadLetters = new Counter({
      name: 'evergreen_consumer_dead_letters_total',
      help: 'Records sent to the dead-letter topic, by reason (dlq.reason): what about them was refused. retries-exhausted means an error of unknown kind outlasted the retry budget: alert on it.',
      labelNames: ['consumer', 'topic', 'reason'],
      registers,
    });
    this.batchSeconds = new Histogram({
      name: 'evergreen_consumer_batch_seconds',
      help: 'Time to decode, apply and commit one batch of one partition.',
      labelNames: ['consumer', 'topic'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.lag = new Gauge({
      name: 'evergreen_consumer_lag_records',
      help: 'Records between the last one processed and the partition end, as of the last batch.',
      labelNames: ['consumer', 'topic', 'partition'],
      registers,
    });
    this.commitToApplySeconds = new Histogram({
      name: 'evergreen_consumer_commit_to_apply_seconds',
      help: "From the event's commit-side timestamp (outbox occurred_at) to its write being acknowledged by the store.",
      labelNames: ['consumer', 'topic'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.lagAgeSeconds = new Gauge({
      name: 'evergreen_consumer_lag_age_seconds',
      help: 'How long the oldest record of the partition not processed yet has been waiting (from its timestamp; from the last processed one while the next is not fetched). 0 when caught up. Computed at scrape time, so it keeps growing while a consumer is stuck.',
      labelNames: ['consumer', 'topic', 'partition'],
      registers,
      collect: () => {
        const now = Date.now();
        this.lagAgeSeconds.reset();
        for (const [consumer, source] of this.lagSources) {
          for (const progress of source()) this.lagAgeSeconds.set({ consumer, topic: progress.topic, partition: String(progress.partition) }, lagAgeSeconds(progress, now));
        }
      },
    });
    this.stuckSeconds = new Gauge({
      name: 'evergreen_consumer_stuck_seconds',
      help: 'How long the partition has been retrying the record at `offset` for consumer group `group` (present only while it retries), the record `npm run dlq -- park` moves aside. Computed at scrape time; /ready fails past EVERGREEN_CONSUMER_STUCK_AFTER_MS.',
      labelNames: ['consumer', 'group', 'topic', 'partition', 'offset'],
      registers,
      collect: () => {
        const now = Date.now();
        this.stuckSeconds.reset();
        for (const [consumer, { group, source }] of this.stuckSources) {
          for (const stuck of source()) this.stuckSeconds.set({ consumer, group, topic: stuck.topic, partition: String(stuck.partition), offset: stuck.offset }, Math.max(0, now - stuck.sinceMs) / 1000);
        }
      },
    });
  }

  /** Exports how long each partition `source` reports has been retrying one record, under `consumer` and its `group`. */
  watchStuck(consumer: string, group: string, source: () => Iterable<StuckPartition>): void {
    this.stuckSources.set(consumer, { group, source });
  }

  /** Exports the lag age of the partitions `source` reports (a consumer's assigned ones), under `consumer`. */
  watchLagAge(consumer: string, source: () => Iterable<PartitionProgress>): void {
    this.lagSources.set(consumer, source);
  }
}
