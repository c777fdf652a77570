import { randomUUID } from 'node:crypto';
import { logLevel, type Consumer } from 'kafkajs';
import { createKafka, pollUntil } from '@evergreen/platform';

/** One Kafka record as a test looks at it. */
export interface TappedRecord {
  topic: string;
  partition: number;
  offset: string;
  /** The record's timestamp, epoch ms: the outbox row's occurred_at. */
  timestamp: number;
  key: string | null;
  headers: Record<string, string>;
  value: Buffer | null;
}

/**
 * Reads a topic from the beginning in a group of its own and keeps every record, so a test can
 * wait for the records of one key and assert on exactly what the relay produced.
 */
export class RecordTap {
  private readonly records: TappedRecord[] = [];
  private readonly consumer: Consumer;

  constructor(
    brokers: string[],
    private readonly topic: string,
  ) {
    this.consumer = createKafka({ clientId: 'evergreen-e2e-tap', brokers, logLevel: logLevel.ERROR }).consumer({
      groupId: `evergreen-e2e-tap-${randomUUID()}`,
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) {
          // A null outbox column (no trace context, say) arrives as a header with a null value.
          const single: Buffer | string | null | undefined = Array.isArray(value) ? value[0] : value;
          if (single !== undefined && single !== null) headers[name] = single.toString();
        }
        this.records.push({ topic, partition, offset: message.offset, timestamp: Number(message.timestamp), key: message.key?.toString() ?? null, headers, value: message.value });
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }

  /** Every record read so far. */
  all(): readonly TappedRecord[] {
    return this.records;
  }

  /** Every record with this key, in the order they were read (one key lives on one partition, so offset order). */
  recordsFor(key: string): TappedRecord[] {
    return this.records.filter((record) => record.key === key);
  }

  async waitForRecords(key: string, count: number, timeoutMs = 30_000): Promise<TappedRecord[]> {
    return pollUntil(() => (this.recordsFor(key).length >= count ? this.recordsFor(key) : undefined), {
      description: `${count} record(s) with key ${key} on ${this.topic}`,
      timeoutMs,
      intervalMs: 100,
    });
  }
}
