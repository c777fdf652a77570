import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_HEADERS, deadLetterRecord } from '../dead-letter.ts';
import { PoisonRecordError } from '../poison.ts';
import { NotReplayableError, REPLAYED_FROM_HEADER, replayRecord } from './replay-record.ts';
import type { StoredDeadLetter } from './stored.ts';

const USER_ID = '4b1f6a52-3c1e-4f7a-9d2b-1e2f3a4b5c6d';
const VALUE = Buffer.from([0, 0, 0, 0, 7, 0x48, 0x34]);

const ORIGINAL_HEADERS = {
  id: Buffer.from('evt-7'),
  eventType: Buffer.from('UserRenamed'),
  aggregateVersion: Buffer.from('3'),
  traceparent: Buffer.from('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'),
};

/** What the framework wrote to evergreen.user.dlq for a record of evergreen.user 2@41, read back at 3:17. */
function storedDeadLetter(original: Partial<KafkaMessage> = {}): StoredDeadLetter {
  const source = {
    topic: 'evergreen.user',
    partition: 2,
    group: 'evergreen-cache-populator',
    message: { key: Buffer.from(USER_ID), value: VALUE, timestamp: '1740832496789', attributes: 0, offset: '41', headers: ORIGINAL_HEADERS, ...original } as KafkaMessage,
  };
  const [written] = deadLetterRecord(source, new PoisonRecordError('unknown-event-type', 'no handler for event type UserRenamed')).messages;
  const headers = Object.fromEntries(Object.entries(written?.headers ?? {}).map(([name, value]) => [name, Buffer.isBuffer(value) ? value : Buffer.from(String(value))]));
  return {
    topic: 'evergreen.user.dlq',
    partition: 3,
    message: { key: written?.key ?? null, value: written?.value ?? null, headers, timestamp: '1740832497000', attributes: 0, offset: '17' } as KafkaMessage,
  };
}

const onlyMessage = (letter: StoredDeadLetter) => {
  const record = replayRecord(letter);
  expect(record.messages).toHaveLength(1);
  return { record, message: record.messages[0]! };
};

describe('replayRecord', () => {
  it('goes back to the original topic, without a partition of its own, waiting for every in-sync replica', () => {
    const { record, message } = onlyMessage(storedDeadLetter());

    expect(record.topic).toBe('evergreen.user');
    expect(record.acks).toBe(-1);
    // The partitioner picks the partition from the key, as it did for the original.
    expect(message.partition).toBeUndefined();
  });

  it('carries the original key and value bytes', () => {
    const { message } = onlyMessage(storedDeadLetter());

    expect(message.key).toEqual(Buffer.from(USER_ID));
    expect(message.value).toEqual(VALUE);
  });

  it('keeps a tombstone a tombstone', () => {
    const { message } = onlyMessage(storedDeadLetter({ value: null, headers: { ...ORIGINAL_HEADERS, eventType: Buffer.from('UserDeleted') } }));

    expect(message.value).toBeNull();
  });

  it('carries the original headers byte for byte, drops every dlq.* header and says which dead letter it came from', () => {
    const { message } = onlyMessage(storedDeadLetter());

    expect(message.headers).toEqual({ ...ORIGINAL_HEADERS, [REPLAYED_FROM_HEADER]: 'evergreen.user.dlq/3@17' });
    for (const name of DEAD_LETTER_HEADERS) expect(Object.keys(message.headers ?? {})).not.toContain(name);
  });

  it('names only the latest dead letter when a replayed record was dead-lettered again', () => {
    const letter = storedDeadLetter({ headers: { ...ORIGINAL_HEADERS, [REPLAYED_FROM_HEADER]: Buffer.from('evergreen.user.dlq/0@2') } });

    expect(onlyMessage(letter).message.headers?.[REPLAYED_FROM_HEADER]).toBe('evergreen.user.dlq/3@17');
  });

  it('leaves out headers with a null value, which kafkajs cannot write', () => {
    const letter = storedDeadLetter();
    letter.message.headers = { ...letter.message.headers, traceparent: null as unknown as Buffer };

    expect(Object.keys(onlyMessage(letter).message.headers ?? {})).not.toContain('traceparent');
  });

  it('refuses a record without a dlq.topic header: it is not a dead letter the framework wrote', () => {
    const letter = storedDeadLetter();
    const { 'dlq.topic': _dropped, ...headers } = letter.message.headers ?? {};
    letter.message.headers = headers;

    expect(() => replayRecord(letter)).toThrow(NotReplayableError);
    expect(() => replayRecord(letter)).toThrow('evergreen.user.dlq 3:17 cannot be replayed: it has no dlq.topic header');
  });

  it('refuses a dead letter whose dlq.topic header names a topic that does not dead-letter here', () => {
    const letter = storedDeadLetter();
    letter.message.headers = { ...letter.message.headers, 'dlq.topic': Buffer.from('billing.invoice') };

    expect(() => replayRecord(letter)).toThrow(/names billing\.invoice, whose dead letters go to billing\.invoice\.dlq/);
  });

  it('does not change the dead letter it was built from', () => {
    const letter = storedDeadLetter();
    const before = Object.keys(letter.message.headers ?? {});

    replayRecord(letter);

    expect(Object.keys(letter.message.headers ?? {})).toEqual(before);
  });
});
