import { classify } from '@evergreen/errors';
import { logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScratchHttpServer, timed, type ScratchHttpServer } from '../testing/index.ts';
import { createKafka, KAFKA_CLIENT_TIMEOUTS, PRODUCE_ACK_TIMEOUT_MS } from './client.ts';

/**
 * A "broker" that accepts connections and never answers: any listening process of the test's own,
 * frozen with SIGSTOP (starting a real broker for this would take a JVM and a gigabyte). kafkajs
 * connects, sends ApiVersions and waits; the bound is createKafka's requestTimeout.
 */
let frozen: ScratchHttpServer;
let broker: string;
beforeAll(async () => {
  frozen = await startScratchHttpServer({});
  broker = frozen.url.replace('http://', '');
  frozen.process.pause();
});
afterAll(() => frozen?.stop());

// Generous: these run beside every other test on two cores; a wait without a bound would take for ever.
const SLACK_MS = 1_000;

describe('a Kafka client (createKafka) against a broker that never answers', () => {
  it('has the timeouts set deliberately, a send’s broker-side wait below the client’s', () => {
    expect(KAFKA_CLIENT_TIMEOUTS).toMatchObject({ connectionTimeout: 3_000, requestTimeout: 10_000, enforceRequestTimeout: true });
    expect(PRODUCE_ACK_TIMEOUT_MS).toBeLessThan(KAFKA_CLIENT_TIMEOUTS.requestTimeout);
  });

  it(`fails an admin call within requestTimeout (${KAFKA_CLIENT_TIMEOUTS.requestTimeout} ms)`, async () => {
    const admin = createKafka({ clientId: 'timeouts-test', brokers: [broker], logLevel: logLevel.NOTHING }).admin();

    const { ms, error } = await timed(() => admin.connect().then(() => admin.listTopics()), 'Kafka admin call, broker frozen');

    expect(error).toBeInstanceOf(Error);
    expect(classify(error)).toMatchObject({ disposition: 'transient', dependency: 'kafka' });
    expect(ms).toBeGreaterThanOrEqual(KAFKA_CLIENT_TIMEOUTS.requestTimeout - 20);
    expect(ms).toBeLessThan(KAFKA_CLIENT_TIMEOUTS.requestTimeout + SLACK_MS);
    await admin.disconnect();
  }, 30_000);

  // With the defaults a send fails after about 20 s: the handshake's 10 s, then kafkajs's 5 retries
  // backing off (docs/operations.md#timeouts). Shortened here.
  it('fails a send within requestTimeout and its retries', async () => {
    const producer = createKafka({ clientId: 'timeouts-test', brokers: [broker], logLevel: logLevel.NOTHING, requestTimeout: 1_000, retry: { retries: 1 } }).producer();

    const { ms, error } = await timed(() => producer.connect().then(() => producer.send({ topic: 'evergreen.user.dlq', acks: -1, timeout: PRODUCE_ACK_TIMEOUT_MS, messages: [{ value: 'x' }] })));

    expect(classify(error)).toMatchObject({ disposition: 'transient', dependency: 'kafka' });
    expect(ms).toBeLessThan(4 * 1_000);
    await producer.disconnect();
  }, 30_000);
});
