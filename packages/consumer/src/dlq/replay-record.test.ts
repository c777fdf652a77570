import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_HEADERS, deadLetterRecord, RETRY_GROUP_HEADER } from '../dead-letter.ts';
import { PoisonRecordError } from '../poison.ts';
import { maxReplayAgeMs, NotReplayableError, REPLAYED_FROM_HEADER, replayAgeProblem, replayGroupOf, replayRecord } from './replay-record.ts';
import type { StoredDeadLetter } from './stored.ts';

const USER_ID = '4b1f6a52-3c1e-4f7a-9d2b-1e2f3a4b5c6d';
const VALUE = Buffer.from([0, 0, 0, 0, 7, 0x48, 0x34]);

const ORIGINAL_HEADERS = {
  id: Buffer.from('evt-7'),
  eventType: Buffer.from('UserRenamed'),
  aggregateVersion: Buffer.from('3'),
  traceparent: Buffer.from('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'),
};

/** What the framework wrote to evergreen.user.dlq for a record of evergreen.user 2@41 (or of `topic`), read back at 3:17. */
function storedDeadLetter(original: Partial<KafkaMessage> = {}, topic = 'evergreen.user'): StoredDeadLetter {
  const source = {
    topic,
    partition: 2,
    group: 'evergreen-cache-populator',
    message: { key: Buffer.from(USER_ID), value: VALUE, timestamp: '1740832496789', attributes: 0, offset: '41', headers: ORIGINAL_HEADERS, ...original } as KafkaMessage,
  };
  const [written] = deadLetterRecord(source, new PoisonRecordError('UNKNOWN_EVENT_TYPE', 'no handler for event type UserRenamed')).messages;
  const headers = Object.fromEntries(Object.entries(written?.headers ?? {}).map(([name, value]) => [name, Buffer.isBuffer(value) ? value : Buffer.from(String(value))]));
  return {
    topic: 'evergreen.user.dlq',
    partition: 3,
    message: { key: written?.key ?? null, value: written?.value ?? null, headers, timestamp: '1740832497000', attributes: 0, offset: '17' } as KafkaMessage,
  };
}

/** The letter with its headers changed: `undefined` drops one. */
function withHeaders(letter: StoredDeadLetter, changes: Record<string, string | undefined>): StoredDeadLetter {
  const headers = { ...letter.message.headers };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete headers[name];
    else headers[name] = Buffer.from(value);
  }
  return { ...letter, message: { ...letter.message, headers } as KafkaMessage };
}

const onlyMessage = (letter: StoredDeadLetter, group?: string) => {
  const record = replayRecord(letter, { group });
  expect(record.messages).toHaveLength(1);
  return { record, message: record.messages[0]! };
};

describe('replayRecord', () => {
  it('goes to the retry topic of the original topic, never the (compacted) original, without a partition of its own, waiting for every in-sync replica', () => {
    const { record, message } = onlyMessage(storedDeadLetter());

    expect(record.topic).toBe('evergreen.user.retry');
    expect(record.acks).toBe(-1);
    expect(record.timeout).toBe(5_000);
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

  it('carries the original headers byte for byte, drops every dlq.* header, says which dead letter it came from and addresses the group that refused it', () => {
    const { message } = onlyMessage(storedDeadLetter());

    expect(message.headers).toEqual({ ...ORIGINAL_HEADERS, [REPLAYED_FROM_HEADER]: 'evergreen.user.dlq/3@17', [RETRY_GROUP_HEADER]: 'evergreen-cache-populator' });
    for (const name of DEAD_LETTER_HEADERS) expect(Object.keys(message.headers ?? {})).not.toContain(name);
  });

  it('sends a dead letter of a record read from the retry topic back to that retry topic, addressed anew', () => {
    const letter = storedDeadLetter({ headers: { ...ORIGINAL_HEADERS, [RETRY_GROUP_HEADER]: Buffer.from('evergreen-cache-populator') } }, 'evergreen.user.retry');

    const { record, message } = onlyMessage(letter);

    expect(record.topic).toBe('evergreen.user.retry');
    expect(message.headers?.[RETRY_GROUP_HEADER]).toBe('evergreen-cache-populator');
  });

  it('refuses a dead letter without a dlq.group header unless the operator names the group, and then addresses that group', () => {
    const letter = withHeaders(storedDeadLetter(), { 'dlq.group': undefined });

    expect(() => replayRecord(letter)).toThrow(NotReplayableError);
    expect(() => replayRecord(letter)).toThrow('evergreen.user.dlq 3:17 cannot be replayed: it has no dlq.group header');
    expect(() => replayRecord(letter)).toThrow('--group <group id>');
    expect(onlyMessage(letter, 'evergreen-activity-log').message.headers?.[RETRY_GROUP_HEADER]).toBe('evergreen-activity-log');
  });

  it('refuses a named group other than the one that refused the dead letter', () => {
    const letter = storedDeadLetter();

    expect(() => replayRecord(letter, { group: 'evergreen-activity-log' })).toThrow('it was refused by group evergreen-cache-populator, not evergreen-activity-log');
    expect(replayGroupOf(letter, 'evergreen-cache-populator')).toBe('evergreen-cache-populator');
    expect(replayGroupOf(letter)).toBe('evergreen-cache-populator');
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

  it('refuses a dead letter whose dlq.topic header names a topic that does not dead-letter here (a retry topic of another one included)', () => {
    expect(() => replayRecord(withHeaders(storedDeadLetter(), { 'dlq.topic': 'billing.invoice.retry' }))).toThrow(/whose dead letters go to billing\.invoice\.dlq/);

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

describe('the replay age check', () => {
  const DAY = 86_400_000;
  const NOW = Date.parse('2025-03-20T00:00:00Z');
  /** A dead letter of an event that happened `daysAgo` before NOW. */
  const ofAge = (daysAgo: number) => withHeaders(storedDeadLetter(), { 'dlq.timestamp': String(NOW - daysAgo * DAY) });

  it('allows what a deletion marker still covers: the TTL minus how long the retry topic may hold the replay', () => {
    expect(maxReplayAgeMs(7 * 24 * 3600, DAY)).toBe(6 * DAY);
    expect(maxReplayAgeMs(7 * 24 * 3600, undefined)).toBe(-Infinity);
  });

  it("accepts an event younger than that, and refuses an older one, saying why and what to do", () => {
    const max = maxReplayAgeMs(7 * 24 * 3600, DAY);

    expect(replayAgeProblem(ofAge(5.9), NOW, max)).toBeUndefined();
    const problem = replayAgeProblem(ofAge(6.5), NOW, max);
    expect(problem).toContain('evergreen.user.dlq 3:17: its event is 6.5 d old and the limit is 6.0 d');
    expect(problem).toContain('--allow-old');
  });

  it('refuses every replay when the retry topic keeps records forever', () => {
    expect(replayAgeProblem(ofAge(0), NOW, maxReplayAgeMs(7 * 24 * 3600, undefined))).toContain('keeps records forever');
  });

  it('counts from when the record was dead-lettered when the dead letter has no dlq.timestamp', () => {
    const letter = withHeaders(storedDeadLetter(), { 'dlq.timestamp': undefined });
    letter.message.timestamp = String(NOW - 7 * DAY);

    expect(replayAgeProblem(letter, NOW, 6 * DAY)).toContain('7.0 d old');
  });
});
