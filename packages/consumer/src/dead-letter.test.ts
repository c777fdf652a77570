import type { KafkaMessage, Producer, ProducerRecord } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KafkaJSConnectionError, KafkaJSProtocolError } from 'kafkajs';
import { DeadLetterWriter, deadLetterRecord, deadLetterTopic, mainTopicOf, retryTopic, sendToDeadLetter, slimDeadLetterRecord, type DeadLetterSource } from './dead-letter.ts';
import type { StepHooks } from './retry-policy.ts';
import { PoisonRecordError } from './poison.ts';

const AT = new Date('2025-03-01T12:34:56.789Z');
const USER_ID = '4b1f6a52-3c1e-4f7a-9d2b-1e2f3a4b5c6d';

function poisonSource(message: Partial<KafkaMessage> = {}): DeadLetterSource {
  return {
    topic: 'evergreen.user',
    partition: 2,
    group: 'evergreen-cache-populator',
    message: {
      key: Buffer.from(USER_ID),
      // Not valid wire format on purpose: the DLQ must keep the bytes as they came.
      value: Buffer.from([0xff, 0x00, 0x01, 0x02]),
      timestamp: '1740832496789',
      attributes: 0,
      offset: '41',
      headers: { id: Buffer.from('evt-7'), eventType: Buffer.from('UserRegistered'), aggregateVersion: Buffer.from('3') },
      ...message,
    } as KafkaMessage,
  };
}

const undecodable = new PoisonRecordError('UNDECODABLE', 'message starts with byte 255, not the magic byte 0');

/** The one message of a dead-letter record, which must exist. */
function onlyMessage(record: ProducerRecord) {
  expect(record.messages).toHaveLength(1);
  return record.messages[0]!;
}

describe('deadLetterTopic', () => {
  it('appends .dlq to the source topic', () => {
    expect(deadLetterTopic('evergreen.user')).toBe('evergreen.user.dlq');
  });

  it("sends what a group refuses on the retry topic to the original topic's dead letters, not to a .retry.dlq", () => {
    expect(deadLetterTopic('evergreen.user.retry')).toBe('evergreen.user.dlq');
  });
});

describe('retryTopic and mainTopicOf', () => {
  it('name the retry topic of a topic, and the topic of a retry topic', () => {
    expect(retryTopic('evergreen.user')).toBe('evergreen.user.retry');
    expect(mainTopicOf('evergreen.user.retry')).toBe('evergreen.user');
    expect(mainTopicOf('evergreen.user')).toBe('evergreen.user');
  });
});

describe('deadLetterRecord', () => {
  it('goes to <topic>.dlq and waits for every in-sync replica', () => {
    const record = deadLetterRecord(poisonSource(), undecodable, AT);

    expect(record.topic).toBe('evergreen.user.dlq');
    expect(record.acks).toBe(-1);
    // The broker answers within PRODUCE_ACK_TIMEOUT_MS, below the client's request timeout.
    expect(record.timeout).toBe(5_000);
  });

  it('drops headers the relay wrote with a null value, which kafkajs cannot send', () => {
    const source = poisonSource({ headers: { id: Buffer.from('evt-7'), traceparent: null as unknown as Buffer } });
    const headers = onlyMessage(deadLetterRecord(source, undecodable, AT)).headers ?? {};
    expect(Object.keys(headers)).not.toContain('traceparent');
    expect(headers.id).toEqual(Buffer.from('evt-7'));
  });

  it('keeps the original key and value bytes unchanged', () => {
    const source = poisonSource();

    const message = onlyMessage(deadLetterRecord(source, undecodable, AT));

    expect(message.key).toEqual(Buffer.from(USER_ID));
    expect(message.value).toEqual(Buffer.from([0xff, 0x00, 0x01, 0x02]));
  });

  it('keeps a null key and a null value (a tombstone) as null', () => {
    const message = onlyMessage(deadLetterRecord(poisonSource({ key: null, value: null }), undecodable, AT));

    expect(message.key).toBeNull();
    expect(message.value).toBeNull();
  });

  it('keeps every original header, byte for byte', () => {
    const message = onlyMessage(deadLetterRecord(poisonSource(), undecodable, AT));

    expect(message.headers).toMatchObject({
      id: Buffer.from('evt-7'),
      eventType: Buffer.from('UserRegistered'),
      aggregateVersion: Buffer.from('3'),
    });
  });

  it('adds dlq.* headers with the reason, the error and where the record came from', () => {
    const message = onlyMessage(deadLetterRecord(poisonSource(), undecodable, AT));

    expect(message.headers).toMatchObject({
      'dlq.reason': 'undecodable',
      'dlq.error': 'message starts with byte 255, not the magic byte 0',
      'dlq.topic': 'evergreen.user',
      'dlq.partition': '2',
      'dlq.offset': '41',
      'dlq.timestamp': '1740832496789',
      'dlq.group': 'evergreen-cache-populator',
      'dlq.at': '2025-03-01T12:34:56.789Z',
    });
  });

  it('cuts a long error message to 4000 characters', () => {
    const long = new PoisonRecordError('HANDLER_REJECTED', 'e'.repeat(9_000));

    const message = onlyMessage(deadLetterRecord(poisonSource(), long, AT));

    expect(message.headers?.['dlq.error']).toBe('e'.repeat(4_000));
  });

  it('adds the dlq.* headers to a record that had no headers at all', () => {
    const source = poisonSource();
    const { headers: _dropped, ...withoutHeaders } = source.message as KafkaMessage & { headers?: unknown };
    const message = onlyMessage(deadLetterRecord({ ...source, message: withoutHeaders as KafkaMessage }, undecodable, AT));

    expect(Object.keys(message.headers ?? {}).sort()).toEqual(['dlq.at', 'dlq.error', 'dlq.group', 'dlq.offset', 'dlq.partition', 'dlq.reason', 'dlq.timestamp', 'dlq.topic']);
  });

  it('describes the latest failure when a replayed dead letter fails again', () => {
    const replayed = poisonSource({
      headers: { id: Buffer.from('evt-7'), 'dlq.reason': Buffer.from('undecodable'), 'dlq.offset': Buffer.from('7') },
    });

    const message = onlyMessage(deadLetterRecord(replayed, new PoisonRecordError('HANDLER_REJECTED', 'userId differs from the key'), AT));

    expect(message.headers).toMatchObject({ id: Buffer.from('evt-7'), 'dlq.reason': 'handler-rejected', 'dlq.offset': '41' });
  });

  it('sends a record the group refused again on the retry topic to the dead letters of the original topic, saying where it was read', () => {
    const record = deadLetterRecord({ ...poisonSource({ offset: '3' }), topic: 'evergreen.user.retry' }, undecodable, AT);

    expect(record.topic).toBe('evergreen.user.dlq');
    expect(onlyMessage(record).headers).toMatchObject({ 'dlq.topic': 'evergreen.user.retry', 'dlq.offset': '3' });
  });

  it('does not change the consumed message', () => {
    const source = poisonSource();

    deadLetterRecord(source, undecodable, AT);

    expect(Object.keys(source.message.headers ?? {})).toEqual(['id', 'eventType', 'aggregateVersion']);
  });
});

describe('sendToDeadLetter', () => {
  it('sends the dead-letter record through the producer', async () => {
    const sent: ProducerRecord[] = [];
    const producer = { send: async (record: ProducerRecord) => void sent.push(record) } as unknown as Producer;
    const source = poisonSource();

    await sendToDeadLetter(producer, source, undecodable);

    expect(sent).toHaveLength(1);
    const { headers, ...rest } = onlyMessage(sent[0]!);
    const { headers: expectedHeaders, ...expectedRest } = onlyMessage(deadLetterRecord(source, undecodable, AT));
    expect(sent[0]).toMatchObject({ topic: 'evergreen.user.dlq', acks: -1 });
    expect(rest).toEqual(expectedRest);
    expect({ ...headers, 'dlq.at': 'now' }).toEqual({ ...expectedHeaders, 'dlq.at': 'now' });
    expect(Date.parse(String(headers?.['dlq.at']))).not.toBeNaN();
  });

  it('fails when the producer fails, so the record is retried rather than lost', async () => {
    const producer = { send: async () => Promise.reject(new Error('leader not available')) } as unknown as Producer;

    await expect(sendToDeadLetter(producer, poisonSource(), undecodable)).rejects.toThrow('leader not available');
  });
});

describe('slimDeadLetterRecord', () => {
  it("keeps the key, the event headers and where the record is, without its value or other headers", () => {
    const source = poisonSource({ value: Buffer.alloc(2_000_000), headers: { id: Buffer.from('evt-7'), eventType: Buffer.from('UserRegistered'), aggregateVersion: Buffer.from('3'), huge: Buffer.alloc(500_000) } });

    const message = onlyMessage(slimDeadLetterRecord(source, undecodable, 'MESSAGE_TOO_LARGE', AT));

    expect(message.value).toBeNull();
    expect(message.key).toEqual(source.message.key);
    expect(Object.keys(message.headers ?? {})).not.toContain('huge');
    expect(message.headers).toMatchObject({ id: Buffer.from('evt-7'), 'dlq.reason': 'undecodable', 'dlq.offset': '41', 'dlq.topic': 'evergreen.user' });
    expect(String(message.headers?.['dlq.value-omitted'])).toMatch(/^2000000 bytes; .*MESSAGE_TOO_LARGE.*evergreen\.user\/2@41$/);
  });
});

describe('DeadLetterWriter', () => {
  const hooks: StepHooks = { isRunning: () => true, heartbeat: async () => undefined, onRetry: () => undefined };
  const retry = { initialMs: 1, maxMs: 2, unknownErrorBudgetMs: 10 };
  const tooLarge = () => new KafkaJSProtocolError({ message: 'The request included a message larger than the max message size the server will accept', type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false } as never);

  it('retries a broker that is away until the dead letter is written', async () => {
    const sent: ProducerRecord[] = [];
    let failures = 3;
    const producer = {
      send: async (record: ProducerRecord) => {
        if (failures-- > 0) throw new KafkaJSConnectionError('Connection error: connect ECONNREFUSED');
        sent.push(record);
        return [];
      },
    };

    await new DeadLetterWriter(producer, retry).send(poisonSource(), undecodable, hooks);

    expect(sent).toHaveLength(1);
    expect(onlyMessage(sent[0]!).value).toEqual(poisonSource().message.value);
  });

  it('sends a record the dead-letter topic refuses as too large as its slim dead letter, and keeps trying that one', async () => {
    const sent: ProducerRecord[] = [];
    let calls = 0;
    const producer = {
      send: async (record: ProducerRecord) => {
        calls += 1;
        if (calls === 1) throw tooLarge();
        // The slim one meets a broker restarting first.
        if (calls === 2) throw new KafkaJSConnectionError('Connection error');
        sent.push(record);
        return [];
      },
    };

    await new DeadLetterWriter(producer, retry).send(poisonSource(), undecodable, hooks);

    expect(sent).toHaveLength(1);
    const message = onlyMessage(sent[0]!);
    expect(message.value).toBeNull();
    expect(String(message.headers?.['dlq.value-omitted'])).toContain('larger than the max message size');
  });
});
