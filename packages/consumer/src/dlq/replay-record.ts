import type { IHeaders, ProducerRecord } from 'kafkajs';
import { PRODUCE_ACK_TIMEOUT_MS } from '@evergreen/platform';
import { DEAD_LETTER_HEADERS, deadLetterTopic, mainTopicOf, RETRY_GROUP_HEADER, retryTopic } from '../dead-letter.ts';
import { headersOf } from '../event.ts';
import { formatPosition, positionOf, type StoredDeadLetter } from './stored.ts';

/** Added to a replayed record: which dead letter it came from, `<dlq topic>/<partition>@<offset>`. */
export const REPLAYED_FROM_HEADER = 'dlq.replayed-from';

/** A dead letter that cannot be replayed (not written by the framework, on the wrong topic, for no known group, too old). */
export class NotReplayableError extends Error {
  constructor(letter: StoredDeadLetter, why: string) {
    super(`${letter.topic} ${formatPosition(positionOf(letter))} cannot be replayed: ${why}`);
    this.name = 'NotReplayableError';
  }
}

const STRIPPED: ReadonlySet<string> = new Set([...DEAD_LETTER_HEADERS, REPLAYED_FROM_HEADER, RETRY_GROUP_HEADER]);

/**
 * The group a replay of this dead letter is for: the one that refused it (dlq.group). `named` is
 * the operator's --group: needed when the dead letter does not say, and it must agree when it does.
 */
export function replayGroupOf(letter: StoredDeadLetter, named?: string): string {
  const refusedBy = headersOf(letter.message.headers)['dlq.group'];
  if (refusedBy === undefined) {
    if (named === undefined) throw new NotReplayableError(letter, 'it has no dlq.group header, so which group refused it is not known; name the group that is to apply it with --group <group id>');
    return named;
  }
  if (named !== undefined && named !== refusedBy) {
    throw new NotReplayableError(letter, `it was refused by group ${refusedBy}, not ${named}; a replay goes to the group that refused the record, the others applied it already`);
  }
  return refusedBy;
}

/**
 * The record that hands a dead letter back to the group that refused it: onto the retry topic of
 * its original topic (`<topic>.retry`), never the original topic itself, which is compacted: the
 * replayed record would become its key's newest offset, and compaction would keep that old version
 * as the aggregate's snapshot for every group and every rebuild. It carries the original key and
 * value bytes and the original headers, without the dlq.* ones the dead-lettering added, plus one
 * naming the dead letter and one naming the group (RETRY_GROUP_HEADER) that is to apply it; the
 * other groups read past it. Without a partition: the producer's partitioner places the key.
 */
export function replayRecord(letter: StoredDeadLetter, options: { group?: string } = {}): ProducerRecord {
  const original = headersOf(letter.message.headers)['dlq.topic'];
  if (original === undefined) throw new NotReplayableError(letter, 'it has no dlq.topic header');
  // deadLetterRecord always writes <topic>.dlq; anything else is not ours, and replaying it would
  // publish to whatever topic a header names.
  if (deadLetterTopic(original) !== letter.topic) throw new NotReplayableError(letter, `its dlq.topic header names ${original}, whose dead letters go to ${deadLetterTopic(original)}`);
  const omitted = headersOf(letter.message.headers)['dlq.value-omitted'];
  // Replayed without its value, a record would become a tombstone for its key.
  if (omitted !== undefined) throw new NotReplayableError(letter, `its value was left out of the dead letter (${omitted})`);
  const group = replayGroupOf(letter, options.group);

  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(letter.message.headers ?? {})) {
    // Null-valued headers cannot be written back by kafkajs (see deadLetterRecord).
    if (STRIPPED.has(name) || value === null || value === undefined) continue;
    headers[name] = value;
  }
  headers[REPLAYED_FROM_HEADER] = `${letter.topic}/${letter.partition}@${letter.message.offset}`;
  headers[RETRY_GROUP_HEADER] = group;
  return {
    // A dead letter of a record read from the retry topic names that topic: it goes back there too.
    topic: retryTopic(mainTopicOf(original)),
    acks: -1,
    timeout: PRODUCE_ACK_TIMEOUT_MS,
    messages: [{ key: letter.message.key, value: letter.message.value, headers }],
  };
}

/**
 * The longest a dead letter's original event may be past before a replay could undo a deletion:
 * RedisVersionedSink's deletion marker lives `deletionMarkerTtlSeconds` from the deletion, which
 * came after the event, and the replay may wait on the retry topic up to its retention.ms
 * (`retryRetentionMs`, undefined for forever) before the group reads it. Within this age, a
 * deletion newer than the event still has its marker when the replay is applied.
 */
export function maxReplayAgeMs(deletionMarkerTtlSeconds: number, retryRetentionMs: number | undefined): number {
  return retryRetentionMs === undefined ? -Infinity : deletionMarkerTtlSeconds * 1000 - retryRetentionMs;
}

/**
 * Why replaying this dead letter at `nowMs` could resurrect a deleted aggregate (its original
 * event is older than `maxAgeMs`, see maxReplayAgeMs), or undefined. The original event's time is
 * the dlq.timestamp header; a dead letter written before that header existed counts from when it
 * was dead-lettered.
 */
export function replayAgeProblem(letter: StoredDeadLetter, nowMs: number, maxAgeMs: number): string | undefined {
  const stamped = Number(headersOf(letter.message.headers)['dlq.timestamp'] ?? letter.message.timestamp);
  if (!Number.isFinite(stamped)) return undefined;
  const ageMs = nowMs - stamped;
  if (ageMs <= maxAgeMs) return undefined;
  const days = (ms: number) => `${(ms / 86_400_000).toFixed(1)} d`;
  const limit = maxAgeMs === -Infinity ? 'the retry topic keeps records forever, longer than any deletion marker' : `the limit is ${days(Math.max(0, maxAgeMs))} (the deletion-marker TTL minus the retry topic's retention.ms)`;
  return `${letter.topic} ${formatPosition(positionOf(letter))}: its event is ${days(ageMs)} old and ${limit}; a deletion after it may have no marker left, and replaying it could bring the deleted entry back. Check the aggregate (npm run verify), or replay with --allow-old`;
}
