import { randomUUID } from 'node:crypto';
import { logLevel, Partitioners, type Admin, type Message, type Producer } from 'kafkajs';
import type { AvroSerde } from '@evergreen/avro-serde';
import { relayTopics } from '@evergreen/connect-config';
import { deadLetterTopic, retryTopic } from '@evergreen/consumer';
import { createKafka, loadStackEnv, type StackConfig } from '@evergreen/platform';
import { allTopicSchemas } from '@evergreen/schemas';
import { syntheticUserRecord, type SyntheticEvent } from '@evergreen/schemas/testing';
import { waitUntilGroupCaughtUp } from './caught-up.ts';
import { deleteSubjects } from './scratch-leftovers.ts';

export { lifecycleOf, type SyntheticEvent } from '@evergreen/schemas/testing';

/**
 * A user topic of its own for one test, under a prefix of its own, so counts are exact: whatever a
 * consumer applies or finds stale there came from this test. With its retry and dead-letter topics,
 * as connect-config/topics.json creates them for the real one. The topics and their schema subjects are deleted at the end.
 */
export class ScratchTopic {
  readonly prefix = `e2e-${randomUUID().slice(0, 8)}`;
  readonly topic = `${this.prefix}.user`;
  readonly retryTopic = retryTopic(this.topic);
  private readonly admin: Admin;
  private readonly producer: Producer;
  private readonly topics: Pick<StackConfig, 'topics'>;

  constructor(
    private readonly config: StackConfig,
    private readonly serde: AvroSerde,
    private readonly partitions = 6,
  ) {
    const kafka = createKafka({ clientId: 'evergreen-e2e-scratch', brokers: config.kafka.brokers, logLevel: logLevel.ERROR });
    this.admin = kafka.admin();
    // The relay's partitioner, so a key lands where Debezium would put it.
    this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    this.topics = { topics: { prefix: this.prefix, partitions } };
  }

  /**
   * `settings`: the user topic's own (e.g. compaction; the broker's defaults otherwise). The retry
   * and dead-letter topics get the settings connect-config/topics.json gives the real ones.
   */
  async create(settings: Record<string, string> = {}): Promise<void> {
    await Promise.all([this.admin.connect(), this.producer.connect()]);
    const defined = relayTopics({ ...loadStackEnv(), EVERGREEN_TOPIC_PREFIX: this.prefix, EVERGREEN_TOPIC_PARTITIONS: String(this.partitions) });
    const configOf = (topic: string) => (topic === this.topic ? settings : (defined.find((definition) => definition.name === topic)?.config ?? {}));
    await this.admin.createTopics({
      waitForLeaders: true,
      topics: [this.topic, this.retryTopic, deadLetterTopic(this.topic)].map((topic) => ({
        topic,
        numPartitions: this.partitions,
        configEntries: Object.entries(configOf(topic)).map(([name, value]) => ({ name, value })),
      })),
    });
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

  /**
   * Waits until the group has committed every partition of the topic and of its retry topic up to
   * its end: everything produced (and replayed) so far was handled.
   */
  async waitUntilCaughtUp(groupId: string, timeoutMs = 60_000): Promise<void> {
    await waitUntilGroupCaughtUp(this.admin, groupId, [this.topic, this.retryTopic], timeoutMs);
  }

  async dispose(): Promise<void> {
    await this.admin.deleteTopics({ topics: [this.topic, this.retryTopic, deadLetterTopic(this.topic)] }).catch(() => undefined);
    await Promise.all([this.admin.disconnect(), this.producer.disconnect()]);
    // The registry is the demo's too: a test's subjects go with its topics.
    await deleteSubjects(
      this.config.registry.ccompatUrl,
      allTopicSchemas(this.topics).map((schema) => schema.subject),
    );
  }
}
