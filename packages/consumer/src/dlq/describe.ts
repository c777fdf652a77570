import { reasonOf } from '@evergreen/errors';
import { headersOf } from '../event.ts';
import { POISON_CODES } from '../poison.ts';
import { comparePositions, formatPosition, positionOf, type StoredDeadLetter } from './stored.ts';

/** Long enough to recognise the failure, short enough to keep one dead letter on one line. */
export const ERROR_WIDTH = 100;

// The widest reason a dead letter can have, so the columns after it line up.
const REASON_WIDTH = Math.max(...POISON_CODES.map((code) => reasonOf(code).length));

/** Collapses whitespace (a stack trace, a multi-line message) and cuts the text at `width` characters. */
export function oneLine(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= width ? flat : `${flat.slice(0, width - 1)}…`;
}

/** A key as text; quoted (JSON-escaped) when it holds spaces or control characters, which would break the line. */
export function printableKey(key: Buffer | null): string {
  if (key === null) return '-';
  const text = key.toString('utf8');
  return /^[\x21-\x7e]+$/.test(text) ? text : JSON.stringify(text);
}

/** What a dead letter says about itself, read from its headers; a header that is missing is undefined. */
export interface DeadLetterFields {
  /** Where it sits on its dead-letter topic, `<partition>:<offset>`. */
  position: string;
  reason: string | undefined;
  /** Where it came from, `<topic>/<partition>@<offset>`. */
  origin: string | undefined;
  /** The consumer group that refused it, the one a replay hands it back to. */
  group: string | undefined;
  key: string | undefined;
  eventType: string | undefined;
  error: string | undefined;
  /** When it was dead-lettered (its record timestamp), ms since the epoch. */
  writtenAtMs: number;
  /** The dead letter it is a replay of, when a replay failed again. */
  replayedFrom: string | undefined;
}

export function deadLetterFields(letter: StoredDeadLetter): DeadLetterFields {
  const headers = headersOf(letter.message.headers);
  return {
    position: formatPosition(positionOf(letter)),
    reason: headers['dlq.reason'],
    origin: headers['dlq.topic'] === undefined ? undefined : `${headers['dlq.topic']}/${headers['dlq.partition'] ?? '?'}@${headers['dlq.offset'] ?? '?'}`,
    group: headers['dlq.group'],
    key: letter.message.key === null ? undefined : letter.message.key.toString('utf8'),
    eventType: headers.eventType,
    error: headers['dlq.error'],
    writtenAtMs: Number(letter.message.timestamp),
    replayedFrom: headers['dlq.replayed-from'],
  };
}

/**
 * One line per dead letter: where it sits, why it is there, where it came from, which group refused
 * it, its key and event type, and the error. A header that is missing prints as '-'.
 */
export function describeDeadLetter(letter: StoredDeadLetter, errorWidth: number = ERROR_WIDTH): string {
  const fields = deadLetterFields(letter);
  return [
    fields.position,
    (fields.reason ?? '-').padEnd(REASON_WIDTH),
    fields.origin ?? '-',
    `group=${fields.group ?? '-'}`,
    `key=${printableKey(letter.message.key)}`,
    fields.eventType ?? '-',
    oneLine(fields.error ?? '-', errorWidth),
  ].join('  ');
}

export interface Listing {
  /** One line per dead letter shown, oldest first. */
  lines: string[];
  /** How many dead letters there are. */
  total: number;
}

/** When a dead letter was written (its record timestamp), then where it sits. */
function byTime(a: StoredDeadLetter, b: StoredDeadLetter): number {
  return Number(a.message.timestamp) - Number(b.message.timestamp) || comparePositions(positionOf(a), positionOf(b));
}

/** The dead letters of every partition merged by the time they were written, oldest first; with `limit`, only the newest that many. */
export function newestDeadLetters(letters: readonly StoredDeadLetter[], limit?: number): StoredDeadLetter[] {
  const sorted = [...letters].sort(byTime);
  return limit === undefined ? sorted : sorted.slice(Math.max(0, sorted.length - limit));
}

/** What `list` prints: newestDeadLetters, one line each, so the newest are last. */
export function listing(letters: readonly StoredDeadLetter[], limit?: number): Listing {
  return { lines: newestDeadLetters(letters, limit).map((letter) => describeDeadLetter(letter)), total: letters.length };
}
