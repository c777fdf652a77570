import kafkajs, { type Kafka, type KafkaConfig } from 'kafkajs';
import { lz4Codec } from './lz4-codec.ts';

// kafkajs is CommonJS: Node's ESM loader sees only its default export.
const { Kafka: KafkaClient, CompressionCodecs, CompressionTypes } = kafkajs;

/**
 * The one place a Kafka client is made: every service, CLI, test and benchmark goes through here,
 * so the client library (and its codecs) can be changed, or benchmarked against another, in one
 * file. Registers LZ4, the relay's compression (connect-config/outbox-connector.json), before any
 * record is read.
 */
export function createKafka(config: KafkaConfig): Kafka {
  CompressionCodecs[CompressionTypes.LZ4] = () => lz4Codec;
  return new KafkaClient(config);
}
