import type { Batch, EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { Logger } from '@evergreen/platform';
import { StopRequestedError } from './backoff.ts';
import type { LagTracker } from './lag-age.ts';
import type { ConsumerMetrics } from './metrics.ts';
import { byTopic, type OffsetCommitter, type OffsetCommitTarget } from './offset-committer.ts';
import type { ParkWatch } from './park.ts';
import type { StepHooks } from './retry-policy.ts';
import type { Slice, SliceProcessor, Step } from './slice-processor.ts';
import type { StuckTracker } from './stuck.ts';

/** What the runner uses of a kafkajs batch: the records and the partition's end. */
export type BatchOf = Pick<Batch, 'topic' | 'partition' | 'messages' | 'highWatermark' | 'firstOffset' | 'lastOffset'>;

/** What the runner uses of kafkajs' eachBatch payload. */
export interface BatchPayload extends Pick<EachBatchPayload, 'resolveOffset' | 'heartbeat' | 'pause' | 'isRunning' | 'isStale' | 'commitOffsetsIfNecessary'> {
  batch: BatchOf;
}

export interface PartitionRunnerOptions {
  name: string;
  slices: Pick<SliceProcessor<unknown>, 'process'>;
  committer: OffsetCommitter;
  lag: LagTracker;
  stuck: StuckTracker;
  /** Where an operator's parks are read; a failure to read one is logged, and the step keeps retrying. */
  parks: Pick<ParkWatch, 'isParked'>;
  metrics: ConsumerMetrics;
  logger: Logger;
  /** Records per slice (see ConsumerOptions.maxRecordsPerApply). */
  sliceSize: number;
  /** True once stop() began: from then on every applied slice is committed at once. */
  isStopping(): boolean;
}

/**
 * Works one fetched batch of one partition, slice by slice: each slice processed (SliceProcessor),
 * then its offsets resolved and recorded for the committer, its lag noted. While a step retries,
 * the partition is paused (other partitions carry on), the retry is counted and the partition
 * reported stuck from the record it waits on; an operator's park of that record is honoured.
 */
export class PartitionRunner {
  constructor(private readonly options: PartitionRunnerOptions) {}

  readonly eachBatch = async (payload: BatchPayload): Promise<void> => {
    const { options } = this;
    const { batch } = payload;
    const { topic, partition } = batch;
    const started = performance.now();
    const receivedAt = Date.now();
    let resume: (() => void) | undefined;
    // Commits made while this batch runs go through it: see OffsetCommitTarget.
    const throughBatch: OffsetCommitTarget = { commitOffsets: (offsets) => payload.commitOffsetsIfNecessary(byTopic(offsets)) };
    const commit = () => (options.isStopping() ? options.committer.flush(throughBatch) : options.committer.commitIfDue(throughBatch));
    const hooksFor = (offset: string, step: Step): StepHooks => ({
      isRunning: () => payload.isRunning() && !payload.isStale(),
      heartbeat: () => payload.heartbeat(),
      onRetry: (error, classification, attempt, delayMs) => {
        // Stop fetching this partition while it waits; other partitions carry on.
        resume ??= payload.pause();
        options.stuck.failed(topic, partition, offset, step, error);
        options.metrics.retries.inc({ consumer: options.name, topic, step });
        const fields = { topic, partition, offset, step, attempt, delayMs, code: classification.code, dependency: classification.dependency, err: error };
        if (classification.disposition === 'transient' && classification.code !== 'MISCONFIGURED') options.logger.warn(fields, 'transient failure; retrying');
        // A dependency that answers what it must not, or a failure nobody classified: not a blip.
        else options.logger.error(fields, classification.code === 'MISCONFIGURED' ? 'a dependency is misconfigured; retrying, not dead-lettering' : 'failure of unknown kind; retrying within its budget');
      },
      parked: () =>
        options.parks.isParked(topic, partition, offset).catch((error: unknown) => {
          options.logger.warn({ topic, partition, offset, err: error }, 'could not read the parks; still retrying');
          return false;
        }),
    });

    try {
      options.lag.progressed(topic, partition, batch.highWatermark, undefined, batch.messages[0]);
      for (let start = 0; start < batch.messages.length; start += options.sliceSize) {
        // Stopping, or the partition moved to another member: leave the rest to whoever reads it next.
        if (!payload.isRunning() || payload.isStale()) return;
        const messages = batch.messages.slice(start, start + options.sliceSize);
        const slice: Slice = { topic, partition, messages, receivedAt, hooksFor };
        await options.slices.process(slice);
        this.passed(topic, partition);
        const last = messages[messages.length - 1] as KafkaMessage;
        payload.resolveOffset(last.offset);
        options.committer.progressed(topic, partition, (BigInt(last.offset) + 1n).toString());
        options.lag.progressed(topic, partition, batch.highWatermark, last, batch.messages[start + options.sliceSize]);
        await commit();
        await payload.heartbeat();
      }
      // The batch's last offset also covers what kafkajs filtered out (control records), so the group moves past it.
      payload.resolveOffset(batch.lastOffset());
      options.committer.progressed(topic, partition, (BigInt(batch.lastOffset()) + 1n).toString());
      await commit();
      options.lag.caughtUpTo(topic, partition, batch.highWatermark, batch.lastOffset());
      options.metrics.lag.set({ consumer: options.name, topic, partition: String(partition) }, Math.max(0, Number(batch.highWatermark) - Number(batch.lastOffset()) - 1));
      options.metrics.batchSeconds.observe({ consumer: options.name, topic }, (performance.now() - started) / 1000);
    } catch (error) {
      // Stopping, or the partition moved to another member: leave the batch's unresolved rest;
      // whoever reads the partition next starts again from the last committed offset.
      if (error instanceof StopRequestedError) return;
      throw error;
    } finally {
      // What this batch applied before a stop interrupted it is committed before the group is left.
      if (options.isStopping()) await options.committer.flush(throughBatch).catch((error: unknown) => options.logger.warn({ err: error }, 'could not commit the progress of a stopping consumer'));
      // Done with the partition here, one way or another: it is not retrying anything any more.
      this.passed(topic, partition);
      resume?.();
    }
  };

  /** The partition's records passed (or it is no longer worked on here): not stuck. */
  private passed(topic: string, partition: number): void {
    this.options.stuck.recovered(topic, partition);
  }
}
