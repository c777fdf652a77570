import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Admin, type Message, type Producer } from 'kafkajs';
import type { AvroSerde } from '@evergreen/avro-serde';
import { deadLetterTopic } from '@evergreen/consumer';
import { pollUntil, type StackConfig } from '@evergreen/platform';
import { allTopicSchemas } from '@evergreen/schemas';
import { syntheticUserRecord, type SyntheticEvent } from '@evergreen/schemas/testing';

export { lifecycleOf, type SyntheticEvent } from '@evergreen/schemas/testing';

/**
 * A user topic of its own for one test, under a prefix of its own, so counts are exact: whatever a
 * consumer applies or finds stale there came from this test. The topic is deleted at the end.
 */
export class ScratchTopic {
  readonly prefix = `e2e-${randomUUID().slice(0, 8)}`;
  readonly topic = `${this.prefix}.user`;
  private readonly admin: Admin;
  private readonly producer: Producer;
  private readonly topics: Pick<StackConfig, 'topics'>;

  constructor(
    private readonly config: StackConfig,
    private readonly serde: AvroSerde,
    private readonly partitions = 6,
  ) {
    const kafka = new Kafka({ clientId: 'evergreen-e2e-scratch', brokers: config.kafka.brokers, logLevel: logLevel.ERROR });
    this.admin = kafka.admin();
    // The relay's partitioner, so a key lands where Debezium would put it.
    this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    this.topics = { topics: { prefix: this.prefix, partitions } };
  }

  async create(): Promise<void> {
    await Promise.all([this.admin.connect(), this.producer.connect()]);
    await this.admin.createTopics({ waitForLeaders: true, topics: [{ topic: this.topic, numPartitions: this.partitions }, { topic: deadLetterTopic(this.topic), numPartitions: this.partitions }] });
    for (const schema of allTopicSchemas(this.topics)) await this.serde.register(schema, 'BACKWARD');
  }

  /** The record the relay would have produced for this event. */
  message(event: SyntheticEvent): Promise<Message> {
    return syntheticUserRecord(this.serde, this.topics, event);
  }

  async produce(events: SyntheticEvent[]): Promise<void> {
    const messages = await Promise.all(events.map((event) => this.message(event)));
    for (let start = 0; start < messages.length; start += 500) {
      await this.producer.send({ topic: this.topic, acks: -1, messages: messages.slice(start, start + 500) });
    }
  }

  /** Sends already-built records again, byte for byte: a duplicate delivery. */
  async produceMessages(messages: Message[]): Promise<void> {
    await this.producer.send({ topic: this.topic, acks: -1, messages });
  }

  /** Waits until the group has committed every partition up to its end: everything produced so far was handled. */
  async waitUntilCaughtUp(groupId: string, timeoutMs = 60_000): Promise<void> {
    await pollUntil(
      async () => {
        const [ends, [committed]] = await Promise.all([this.admin.fetchTopicOffsets(this.topic), this.admin.fetchOffsets({ groupId, topics: [this.topic] })]);
        return ends.every(({ partition, high }) => {
          const done = committed?.partitions.find((entry) => entry.partition === partition)?.offset ?? '-1';
          return high === '0' || BigInt(done) >= BigInt(high);
        });
      },
      { description: `group ${groupId} to catch up with ${this.topic}`, timeoutMs, intervalMs: 200 },
    );
  }

  async dispose(): Promise<void> {
    await this.admin.deleteTopics({ topics: [this.topic, deadLetterTopic(this.topic)] }).catch(() => undefined);
    await Promise.all([this.admin.disconnect(), this.producer.disconnect()]);
  }
}
