import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type pg from 'pg';
import { sleep } from './clock.ts';

interface OutboxRow {
  id: string;
  aggregatetype: string;
  aggregateid: string;
  type: string;
  payload: Buffer | null;
  aggregateversion: number;
  tracingspancontext: string | null;
  occurred_at: Date;
}

export interface PollingPublisherOptions {
  pool: pg.Pool;
  kafka: Kafka;
  topicPrefix: string;
  /** How long to wait after a poll that found nothing; a poll that found rows is followed at once. */
  pollIntervalMs: number;
  batchSize: number;
}

export interface PollingPublisher {
  stop(): Promise<{ polls: number; published: number }>;
}

/**
 * The baseline: what a team writes instead of running Debezium. It polls the outbox table with
 * SELECT … FOR UPDATE SKIP LOCKED (so several publishers could share it), publishes the rows as the
 * relay would (same topic, key, headers, value, Java-compatible partitioner, acks=all), and deletes
 * them in the same transaction. A crash between the send and the commit publishes the batch again
 * (at least once, as the relay). Reads rows kept by the outbox library's keepRows option.
 */
export async function startPollingPublisher(options: PollingPublisherOptions): Promise<PollingPublisher> {
  const producer: Producer = options.kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  let running = true;
  let polls = 0;
  let published = 0;

  async function pollOnce(): Promise<number> {
    const client = await options.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<OutboxRow>(
        `SELECT id, aggregatetype, aggregateid, type, payload, aggregateversion, tracingspancontext, occurred_at
           FROM outbox ORDER BY occurred_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [options.batchSize],
      );
      polls += 1;
      if (rows.length > 0) {
        const byTopic = new Map<string, OutboxRow[]>();
        for (const row of rows) byTopic.set(`${options.topicPrefix}.${row.aggregatetype}`, [...(byTopic.get(`${options.topicPrefix}.${row.aggregatetype}`) ?? []), row]);
        await producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, batch]) => ({
            topic,
            messages: batch.map((row) => ({
              key: row.aggregateid,
              value: row.payload,
              timestamp: String(row.occurred_at.getTime()),
              headers: {
                id: row.id,
                eventType: row.type,
                aggregateVersion: String(row.aggregateversion),
                ...(row.tracingspancontext ? { traceparent: row.tracingspancontext } : {}),
              },
            })),
          })),
        });
        await client.query('DELETE FROM outbox WHERE id = ANY($1::uuid[])', [rows.map((row) => row.id)]);
      }
      await client.query('COMMIT');
      return rows.length;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  const loop = (async () => {
    while (running) {
      const found = await pollOnce();
      published += found;
      if (found === 0) await sleep(options.pollIntervalMs);
    }
  })();

  return {
    async stop() {
      running = false;
      await loop;
      await producer.disconnect();
      return { polls, published };
    },
  };
}
