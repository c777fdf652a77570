import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { deadLetterRecord } from '../dead-letter.ts';
import { PoisonRecordError } from '../poison.ts';
import { deadLetterFields, describeDeadLetter, listing, oneLine, printableKey } from './describe.ts';
import type { StoredDeadLetter } from './stored.ts';

const USER_ID = '4b1f6a52-3c1e-4f7a-9d2b-1e2f3a4b5c6d';

/** A dead letter as the framework writes it (deadLetterRecord), then read back from <topic>.dlq at 3:17. */
function storedDeadLetter(error: PoisonRecordError, original: Partial<KafkaMessage> = {}): StoredDeadLetter {
  const source = {
    topic: 'evergreen.user',
    partition: 2,
    group: 'evergreen-cache-populator',
    message: {
      key: Buffer.from(USER_ID),
      value: Buffer.from([0xff, 0x00]),
      timestamp: '1740832496789',
      attributes: 0,
      offset: '41',
      headers: { id: Buffer.from('evt-7'), eventType: Buffer.from('UserRegistered'), aggregateVersion: Buffer.from('3') },
      ...original,
    } as KafkaMessage,
  };
  const [written] = deadLetterRecord(source, error, new Date('2025-03-01T12:34:56.789Z')).messages;
  // What a consumer reads back: every header value as a Buffer.
  const headers = Object.fromEntries(Object.entries(written?.headers ?? {}).map(([name, value]) => [name, Buffer.from(String(value))]));
  return {
    topic: 'evergreen.user.dlq',
    partition: 3,
    message: { key: source.message.key, value: source.message.value, headers, timestamp: '1740832497000', attributes: 0, offset: '17' } as KafkaMessage,
  };
}

describe('describeDeadLetter', () => {
  it('names where it sits, the reason, where it came from, the key, the event type and the error, on one line', () => {
    const letter = storedDeadLetter(new PoisonRecordError('UNDECODABLE', 'message starts with byte 255, not the magic byte 0'));

    expect(describeDeadLetter(letter)).toBe(
      `3:17  undecodable          evergreen.user/2@41  group=evergreen-cache-populator  key=${USER_ID}  UserRegistered  message starts with byte 255, not the magic byte 0`,
    );
  });

  it('lines up the columns after the reason for every reason', () => {
    const lines = (['UNDECODABLE', 'MISSING_METADATA', 'UNKNOWN_EVENT_TYPE', 'HANDLER_REJECTED', 'INCOMPATIBLE_SCHEMA', 'RETRIES_EXHAUSTED', 'PARKED'] as const).map((reason) => describeDeadLetter(storedDeadLetter(new PoisonRecordError(reason, 'x'))));

    expect(new Set(lines.map((line) => line.indexOf('evergreen.user/2@41'))).size).toBe(1);
  });

  it('cuts a long error and puts a multi-line one on one line', () => {
    const letter = storedDeadLetter(new PoisonRecordError('HANDLER_REJECTED', `first line\n  second line ${'e'.repeat(300)}`));

    const line = describeDeadLetter(letter, 40);

    expect(line).not.toContain('\n');
    expect(line.split('  ').pop()).toBe(`first line second line ${'e'.repeat(16)}…`);
    expect(line.split('  ').pop()).toHaveLength(40);
  });

  it('prints what a record without key and headers lacks as -', () => {
    const letter: StoredDeadLetter = { topic: 'evergreen.user.dlq', partition: 0, message: { key: null, value: null, timestamp: '0', attributes: 0, offset: '5', headers: {} } as KafkaMessage };

    expect(describeDeadLetter(letter)).toBe(`0:5  ${'-'.padEnd('incompatible-schema'.length)}  -  group=-  key=-  -  -`);
  });

  it('shows a dead letter without the event type header (missing-metadata) with - for it', () => {
    const letter = storedDeadLetter(new PoisonRecordError('MISSING_METADATA', 'record lacks its key'), { headers: {} });

    expect(describeDeadLetter(letter)).toContain(`key=${USER_ID}  -  record lacks its key`);
  });
});

describe('deadLetterFields', () => {
  it('reads where it sits, the reason, origin, group, key, event type, error and when it was written from the dead letter', () => {
    const letter = storedDeadLetter(new PoisonRecordError('HANDLER_REJECTED', 'payload version 3 differs'));
    expect(deadLetterFields(letter)).toEqual({
      position: '3:17',
      reason: 'handler-rejected',
      origin: 'evergreen.user/2@41',
      group: 'evergreen-cache-populator',
      key: USER_ID,
      eventType: 'UserRegistered',
      error: 'payload version 3 differs',
      writtenAtMs: 1740832497000,
      replayedFrom: undefined,
    });
  });
  it('leaves what a record without key and headers lacks undefined', () => {
    const letter: StoredDeadLetter = { topic: 'evergreen.user.dlq', partition: 0, message: { key: null, value: null, timestamp: '5', attributes: 0, offset: '5', headers: {} } as KafkaMessage };
    expect(deadLetterFields(letter)).toMatchObject({ position: '0:5', reason: undefined, origin: undefined, group: undefined, key: undefined, writtenAtMs: 5 });
  });
});

describe('oneLine', () => {
  it('leaves a short text alone', () => {
    expect(oneLine('short', 10)).toBe('short');
    expect(oneLine('exactly 10', 10)).toBe('exactly 10');
  });

  it('cuts at the width, the ellipsis included', () => {
    expect(oneLine('exactly 11!', 10)).toBe('exactly 1…');
  });
});

describe('printableKey', () => {
  it('prints a plain key as it is and quotes one that would break the line', () => {
    expect(printableKey(Buffer.from(USER_ID))).toBe(USER_ID);
    expect(printableKey(Buffer.from('two words\n'))).toBe('"two words\\n"');
    expect(printableKey(Buffer.alloc(0))).toBe('""');
    expect(printableKey(null)).toBe('-');
  });
});

describe('listing', () => {
  /** A dead letter at partition:offset, written at `writtenAt` (its record timestamp). */
  const at = (partition: number, offset: string, writtenAt: number): StoredDeadLetter => ({
    topic: 'evergreen.user.dlq',
    partition,
    message: { key: null, value: null, timestamp: String(writtenAt), attributes: 0, offset, headers: {} } as KafkaMessage,
  });
  const positions = (lines: string[]) => lines.map((line) => line.split(' ')[0]);
  // Read partition by partition, as the reader hands them over.
  const letters = [at(0, '9', 3_000), at(0, '10', 5_000), at(2, '0', 1_000), at(2, '1', 5_000), at(5, '4', 4_000)];

  it('merges the partitions by the time each dead letter was written, oldest first, the position breaking ties', () => {
    expect(positions(listing(letters).lines)).toEqual(['2:0', '0:9', '5:4', '0:10', '2:1']);
  });

  it('shows only the newest `limit`, and says how many there are', () => {
    const { lines, total } = listing(letters, 2);

    expect(positions(lines)).toEqual(['0:10', '2:1']);
    expect(total).toBe(5);
  });

  it('shows them all when the limit is larger, and nothing for an empty topic', () => {
    expect(listing(letters, 50).lines).toHaveLength(5);
    expect(listing([], 3)).toEqual({ lines: [], total: 0 });
  });
});
