import type { IHeaders, ProducerRecord } from 'kafkajs';
import { DEAD_LETTER_HEADERS, deadLetterTopic } from '../dead-letter.ts';
import { headersOf } from '../event.ts';
import { formatPosition, positionOf, type StoredDeadLetter } from './stored.ts';

/** Added to a replayed record: which dead letter it came from, `<dlq topic>/<partition>@<offset>`. */
export const REPLAYED_FROM_HEADER = 'dlq.replayed-from';

/** A dead letter that cannot be replayed (not written by the framework, or on the wrong topic). */
export class NotReplayableError extends Error {
  constructor(letter: StoredDeadLetter, why: string) {
    super(`${letter.topic} ${formatPosition(positionOf(letter))} cannot be replayed: ${why}`);
    this.name = 'NotReplayableError';
  }
}

const STRIPPED: ReadonlySet<string> = new Set([...DEAD_LETTER_HEADERS, REPLAYED_FROM_HEADER]);

/**
 * The record that puts a dead letter back on its original topic: the original key and value bytes
 * and the original headers, without the dlq.* ones the dead-lettering added, plus one naming the
 * dead letter. Without a partition: the producer's partitioner places the key where it always goes.
 */
export function replayRecord(letter: StoredDeadLetter): ProducerRecord {
  const original = headersOf(letter.message.headers)['dlq.topic'];
  if (original === undefined) throw new NotReplayableError(letter, 'it has no dlq.topic header');
  // deadLetterRecord always writes <topic>.dlq; anything else is not ours, and replaying it would
  // publish to whatever topic a header names.
  if (deadLetterTopic(original) !== letter.topic) throw new NotReplayableError(letter, `its dlq.topic header names ${original}, whose dead letters go to ${deadLetterTopic(original)}`);

  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(letter.message.headers ?? {})) {
    // Null-valued headers cannot be written back by kafkajs (see deadLetterRecord).
    if (STRIPPED.has(name) || value === null || value === undefined) continue;
    headers[name] = value;
  }
  headers[REPLAYED_FROM_HEADER] = `${letter.topic}/${letter.partition}@${letter.message.offset}`;
  return {
    topic: original,
    acks: -1,
    messages: [{ key: letter.message.key, value: letter.message.value, headers }],
  };
}
