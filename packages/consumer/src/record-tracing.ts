import type { KafkaMessage } from 'kafkajs';
import {
  consumedRecordAttributes,
  contextOf,
  contextWithSpan,
  databaseAttributes,
  recordFailure,
  SpanKind,
  spanContextOf,
  startSpan,
  tracingEnabled,
  withContext,
  type Context,
  type StoreFacts,
  type Span,
} from '@evergreen/platform';
import { headersOf } from './event.ts';
import type { RecordOutcome } from './metrics.ts';

/** Where a slice's records came from. */
export interface SliceOrigin {
  topic: string;
  partition: number;
  groupId: string;
  /** When the consumer had the batch in hand, epoch ms: the end of each record's relay span. */
  receivedAt: number;
}

// Attribute names of our own, under the project's namespace (the conventions have none for these).
const OUTCOME = 'evergreen.consumer.outcome';
const EVENT_TYPE = 'evergreen.event.type';

/**
 * The spans of one slice of a partition (docs/tracing.md): per record a `relay <topic>` span, from
 * the outbox row's commit-side time (occurred_at, the record's timestamp) to the batch's arrival
 * here, and under it the CONSUMER `process <topic>` span of this group's work on the record, with
 * its outcome; per attempt to write the slice, an `apply <store>` span under the first record's
 * process span, linked to the others'. Created only when tracing is on: see traceSlice.
 */
export class SliceTrace {
  /** Per record of the slice, in order; undefined for a record this group reads past. */
  private readonly spans: Array<Span | undefined>;
  private ended = false;

  constructor(
    private readonly origin: SliceOrigin,
    messages: readonly KafkaMessage[],
    readonly startedAt: number,
    isForeign: (index: number) => boolean,
  ) {
    this.spans = messages.map((message, index) => (isForeign(index) ? undefined : this.processSpan(message)));
  }

  private processSpan(message: KafkaMessage): Span {
    const { topic, partition, groupId, receivedAt } = this.origin;
    const headers = headersOf(message.headers);
    const facts = { topic, partition, groupId, offset: message.offset, messageId: headers.id, key: message.key?.toString() };
    let parent: Context = contextOf(headers.traceparent);
    if (spanContextOf(headers.traceparent) !== undefined) {
      // Debezium emits no spans: the hop from the commit to this consumer is drawn from what the record tells.
      const occurredAt = Number(message.timestamp);
      const relay = startSpan({ name: `relay ${topic}`, kind: SpanKind.INTERNAL, startTime: occurredAt, attributes: consumedRecordAttributes(undefined, facts), parent });
      relay.end(Math.max(occurredAt, receivedAt));
      parent = contextWithSpan(relay, parent);
    }
    return startSpan({ name: `process ${topic}`, kind: SpanKind.CONSUMER, startTime: this.startedAt, attributes: { ...consumedRecordAttributes('process', facts), ...(headers.eventType !== undefined && { [EVENT_TYPE]: headers.eventType }) }, parent });
  }

  /**
   * Runs one attempt to write the records at `indexes` (of the slice) to the store, in an `apply`
   * span: a child of the first one's process span, linked to the rest. A failed attempt is
   * recorded on its span; the retry gets a span of its own.
   */
  async apply<T>(indexes: readonly number[], store: StoreFacts | undefined, write: () => Promise<T>): Promise<T> {
    const spans = indexes.map((index) => this.spans[index]).filter((span): span is Span => span !== undefined);
    const [first, ...others] = spans;
    if (first === undefined) return write();
    const system = store?.system ?? 'store';
    const span = startSpan({
      name: `apply ${system}`,
      kind: SpanKind.CLIENT,
      attributes: { ...(store && databaseAttributes({ ...store, operation: 'apply' })), 'evergreen.consumer.records': spans.length },
      links: others.map((other) => ({ context: other.spanContext() })),
      parent: contextWithSpan(first),
    });
    try {
      // The store's own spans (a PostgreSQL transaction) nest under this one.
      return await withContext(contextWithSpan(span), write);
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  /** The outcome of the record at `index`; a dead-lettered one carries its reason as a failure. */
  outcome(index: number, outcome: RecordOutcome, eventType?: string, error?: Error): void {
    const span = this.spans[index];
    if (span === undefined) return;
    span.setAttribute(OUTCOME, outcome);
    if (eventType !== undefined) span.setAttribute(EVENT_TYPE, eventType);
    if (error !== undefined) recordFailure(span, error);
  }

  /** Ends every process span; one whose slice did not finish (a stop, a rebalance, a failure) ends failed. */
  end(unfinished?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    for (const span of this.spans) {
      if (span === undefined) continue;
      if (unfinished !== undefined) recordFailure(span, unfinished);
      span.end();
    }
  }
}

/** The slice's spans when tracing is on; with it off nothing is read or allocated per record. */
export function traceSlice(origin: SliceOrigin, messages: readonly KafkaMessage[], startedAt: number, isForeign: (index: number) => boolean): SliceTrace | undefined {
  return tracingEnabled() ? new SliceTrace(origin, messages, startedAt, isForeign) : undefined;
}
