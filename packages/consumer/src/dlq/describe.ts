import { headersOf } from '../event.ts';
import { comparePositions, formatPosition, positionOf, type StoredDeadLetter } from './stored.ts';

/** Long enough to recognise the failure, short enough to keep one dead letter on one line. */
export const ERROR_WIDTH = 100;

// The widest reason, 'unknown-event-type', so the columns after it line up.
const REASON_WIDTH = 18;

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

/**
 * One line per dead letter: where it sits, why it is there, where it came from, which group refused
 * it, its key and event type, and the error. A header that is missing prints as '-'.
 */
export function describeDeadLetter(letter: StoredDeadLetter, errorWidth: number = ERROR_WIDTH): string {
  const headers = headersOf(letter.message.headers);
  const origin = headers['dlq.topic'] === undefined ? '-' : `${headers['dlq.topic']}/${headers['dlq.partition'] ?? '?'}@${headers['dlq.offset'] ?? '?'}`;
  return [
    formatPosition(positionOf(letter)),
    (headers['dlq.reason'] ?? '-').padEnd(REASON_WIDTH),
    origin,
    `group=${headers['dlq.group'] ?? '-'}`,
    `key=${printableKey(letter.message.key)}`,
    headers.eventType ?? '-',
    oneLine(headers['dlq.error'] ?? '-', errorWidth),
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

/**
 * What `list` prints: the dead letters of every partition merged by the time they were written, so
 * the newest are last; with `limit`, only the newest that many.
 */
export function listing(letters: readonly StoredDeadLetter[], limit?: number): Listing {
  const sorted = [...letters].sort(byTime);
  const shown = limit === undefined ? sorted : sorted.slice(Math.max(0, sorted.length - limit));
  return { lines: shown.map((letter) => describeDeadLetter(letter)), total: letters.length };
}
