import type { KafkaMessage } from 'kafkajs';
import { EvergreenError, type Dependency } from '@evergreen/errors';
import type { Logger } from '@evergreen/platform';
import type { DeadLetterWriter } from './dead-letter.ts';
import { applyIsolating } from './isolate.ts';
import type { ConsumerMetrics, RecordOutcome } from './metrics.ts';
import type { PoisonRecordError } from './poison.ts';
import type { Handled, RecordHandler } from './record-handler.ts';
import { traceSlice, type SliceTrace } from './record-tracing.ts';
import { runStep, systemClock, type RetryOptions, type StepHooks } from './retry-policy.ts';
import type { ApplyOutcome, PendingOperation, Sink } from './sink.ts';

/** The steps of a slice, as retries and stuck partitions name them. */
export type Step = 'decode' | 'apply' | 'dead_letter';

/** One slice of a fetched batch of one partition, and how its steps wait and report when they must retry. */
export interface Slice {
  topic: string;
  partition: number;
  messages: readonly KafkaMessage[];
  /** When the batch arrived, epoch ms: the end of each record's relay span. */
  receivedAt: number;
  /** The hooks of a step working on the records from `offset` on. */
  hooksFor(offset: string, step: Step): StepHooks;
}

export interface SliceProcessorOptions<Op> {
  /** Names the consumer in metrics and logs. */
  name: string;
  groupId: string;
  records: Pick<RecordHandler<Op>, 'handle'>;
  sink: Sink<Op>;
  deadLetters: Pick<DeadLetterWriter, 'send'>;
  metrics: ConsumerMetrics;
  logger: Logger;
  retry: RetryOptions;
}

const STORE_DEPENDENCY: Readonly<Record<string, Dependency>> = { postgresql: 'postgres', redis: 'redis' };

/** A record given up on: where it is in the slice, and why. */
interface Refused {
  index: number;
  error: PoisonRecordError;
}

/**
 * Works one slice: decodes and handles each record (retrying one that may pass later, refusing one
 * that never will), writes the operations to the sink (isolating a record the store refuses),
 * dead-letters what was refused, in record order, and counts the outcomes. Resolves once all of it
 * is durable, so its offsets may be committed.
 */
export class SliceProcessor<Op> {
  private readonly storeDependency: Dependency | undefined;

  constructor(private readonly options: SliceProcessorOptions<Op>) {
    const system = options.sink.store?.system;
    this.storeDependency = system === undefined ? undefined : STORE_DEPENDENCY[system];
  }

  async process(slice: Slice): Promise<void> {
    const startedAt = Date.now();
    const handled = await this.handleEach(slice);
    // Undefined with tracing off: then no span work at all, per record or per slice.
    const traced = traceSlice({ topic: slice.topic, partition: slice.partition, groupId: this.options.groupId, receivedAt: slice.receivedAt }, slice.messages, startedAt, (index) => handled[index]?.kind === 'foreign');
    try {
      await this.complete(slice, handled, traced);
    } catch (error) {
      traced?.end(error);
      throw error;
    }
    traced?.end();
  }

  /**
   * Each record decoded and handled on its own, so a retry names the record it waits on. A record
   * that passes at once costs one call; only a failure builds what retrying needs.
   */
  private async handleEach(slice: Slice): Promise<Handled<Op>[]> {
    const { records } = this.options;
    const results: Handled<Op>[] = [];
    for (const message of slice.messages) {
      const handle = () => records.handle(slice.topic, slice.partition, message);
      try {
        results.push(await handle());
      } catch (error) {
        const policy = { retry: this.options.retry, dependency: 'registry' as const, singleRecord: true };
        const handled = await runStep(handle, slice.hooksFor(message.offset, 'decode'), policy, systemClock, error);
        results.push(handled.ok ? handled.value : { kind: 'poison', message, error: handled.error });
      }
    }
    return results;
  }

  private async complete(slice: Slice, handled: Handled<Op>[], traced: SliceTrace | undefined): Promise<void> {
    const { options } = this;
    /** Where each operation's record is in the slice. */
    const positions = handled.flatMap((entry, index) => (entry.kind === 'operation' ? [index] : []));
    const operationAt = (index: number) => (handled[index] as Extract<Handled<Op>, { kind: 'operation' }>).operation;
    const results = await applyIsolating(positions, (subset) => this.applyStep(slice, subset.map(operationAt), subset, traced));
    const appliedAt = Date.now();

    // Counted per slice, not per record: label lookups add up at tens of thousands of records a second.
    const counts: Record<RecordOutcome, number> = { applied: 0, stale: 0, skipped: 0, dead_lettered: 0 };
    const latency = options.metrics.commitToApplySeconds.labels({ consumer: options.name, topic: slice.topic });
    const debug = options.logger.isLevelEnabled('debug');
    const refused: Refused[] = [];
    for (let at = 0; at < results.length; at += 1) {
      const result = results[at] as ApplyOutcome | PoisonRecordError;
      const index = positions[at] as number;
      if (typeof result !== 'string') {
        refused.push({ index, error: result });
        continue;
      }
      const event = operationAt(index).event;
      counts[result] += 1;
      if (result === 'applied') latency.observe(Math.max(0, appliedAt - event.occurredAt) / 1000);
      traced?.outcome(index, result, event.eventType);
      if (debug) options.logger.debug({ topic: slice.topic, partition: slice.partition, offset: event.offset, eventId: event.eventId, eventType: event.eventType, version: event.aggregateVersion, outcome: result }, 'event applied');
    }
    // Indexed, not entries(): no pair allocated per record on the hot path.
    for (let index = 0; index < handled.length; index += 1) {
      const entry = handled[index] as Handled<Op>;
      if (entry.kind === 'skip') {
        counts.skipped += 1;
        traced?.outcome(index, 'skipped', entry.eventType);
      } else if (entry.kind === 'poison') {
        refused.push({ index, error: entry.error });
      }
    }
    // In record order, so one key's dead letters keep its order.
    refused.sort((left, right) => left.index - right.index);
    for (const { index, error } of refused) {
      await this.deadLetter(slice, slice.messages[index] as KafkaMessage, error);
      counts.dead_lettered += 1;
      traced?.outcome(index, 'dead_lettered', undefined, error);
    }
    for (const [outcome, count] of Object.entries(counts)) if (count > 0) options.metrics.records.inc({ consumer: options.name, topic: slice.topic, outcome }, count);
  }

  /** One attempt's worth of writing these operations (records at `positions` of the slice), retried as runStep decides. */
  private applyStep(slice: Slice, operations: ReadonlyArray<PendingOperation<Op>>, positions: readonly number[], traced: SliceTrace | undefined) {
    const { sink } = this.options;
    const write = async () => {
      const outcomes = await (traced ? traced.apply(positions, sink.store, () => sink.apply(operations)) : sink.apply(operations));
      if (outcomes.length !== operations.length) throw new EvergreenError('INTERNAL', `the sink answered ${outcomes.length} outcomes for ${operations.length} operations`);
      return outcomes;
    };
    const first = operations[0] as PendingOperation<Op>;
    const hooks: StepHooks = {
      ...slice.hooksFor(first.event.offset, 'apply'),
      dependencyAnswers: () => sink.probe().then(
        () => true,
        () => false,
      ),
    };
    return runStep(write, hooks, { retry: this.options.retry, dependency: this.storeDependency, singleRecord: operations.length === 1 });
  }

  private async deadLetter(slice: Slice, message: KafkaMessage, error: PoisonRecordError): Promise<void> {
    const { options } = this;
    await options.deadLetters.send({ topic: slice.topic, partition: slice.partition, message, group: options.groupId }, error, slice.hooksFor(message.offset, 'dead_letter'));
    options.metrics.deadLetters.inc({ consumer: options.name, topic: slice.topic, reason: error.reason });
    const fields = { topic: slice.topic, partition: slice.partition, offset: message.offset, eventId: message.headers?.id?.toString(), reason: error.reason, err: error };
    if (error.code === 'RETRIES_EXHAUSTED') {
      // Not bad data for sure: a failure nobody classified outlasted its budget. Someone must look.
      options.logger.error({ ...fields, alert: 'retries-exhausted' }, 'record dead-lettered after its retry budget: an error of unknown kind kept failing (a bug, or an unclassified failure); alert');
    } else {
      options.logger.error(fields, 'poison record sent to the dead-letter topic');
    }
  }
}
