import kafkajs, { type Kafka, type KafkaConfig } from 'kafkajs';
import { lz4Codec } from './lz4-codec.ts';

// kafkajs is CommonJS: Node's ESM loader sees only its default export.
const { Kafka: KafkaClient, CompressionCodecs, CompressionTypes } = kafkajs;

/**
 * How long a Kafka client waits, set here rather than left to kafkajs's defaults:
 * - connectionTimeout 3 s for a TCP connection (kafkajs's 1 s is tight for a broker restarting on a
 *   loaded 2-core machine; a refused connection fails at once either way);
 * - authenticationTimeout 10 s for SASL, when a deployment turns it on;
 * - requestTimeout 10 s for the answer to any request, enforced (enforceRequestTimeout): a broker
 *   that accepts the connection and never answers fails the request, which kafkajs retries (5
 *   times, backing off about 9 s in all) and then throws. kafkajs's own 30 s is three times what
 *   any of our requests needs from a healthy broker; the two that wait on purpose get their own
 *   bound from kafkajs (a fetch its maxWaitTimeInMs plus 0.1 s, a JoinGroup its rebalance timeout
 *   plus 5 s).
 * A caller's own settings win (the stack's probe connects once, without retries).
 */
export const KAFKA_CLIENT_TIMEOUTS = { connectionTimeout: 3_000, authenticationTimeout: 10_000, requestTimeout: 10_000, enforceRequestTimeout: true } as const satisfies Partial<KafkaConfig>;

/**
 * How long the broker may wait for the in-sync replicas of a produced record (a send's `timeout`)
 * before it answers REQUEST_TIMED_OUT; below the client's requestTimeout, so that the client never
 * gives up on, and sends again, a record the broker is still going to append.
 */
export const PRODUCE_ACK_TIMEOUT_MS = 5_000;

/**
 * The one place a Kafka client is made: every service, CLI, test and benchmark goes through here,
 * so the client library (and its codecs) can be changed, or benchmarked against another, in one
 * file, and every client has KAFKA_CLIENT_TIMEOUTS. Registers LZ4, the relay's compression
 * (connect-config/outbox-connector.json), before any record is read.
 */
export function createKafka(config: KafkaConfig): Kafka {
  CompressionCodecs[CompressionTypes.LZ4] = () => lz4Codec;
  return new KafkaClient({ ...KAFKA_CLIENT_TIMEOUTS, ...config });
}
