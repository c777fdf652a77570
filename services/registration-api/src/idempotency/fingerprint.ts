import { createHash } from 'node:crypto';
import { canonicalIfMatch } from '../http/if-match.ts';

/** The request header of the IETF httpapi draft "The Idempotency-Key HTTP Header Field" (lower-case, as Node gives it). */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** A key is 1 to 255 visible ASCII characters (0x21-0x7E): a UUID, a ULID, a client's own scheme. */
export const IDEMPOTENCY_KEY_MIN_LENGTH = 1;
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;
/** Visible ASCII only; the lengths are checked apart, so each fault is named once. */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7E]*$';

const KEY = new RegExp(`^[\\x21-\\x7E]{${IDEMPOTENCY_KEY_MIN_LENGTH},${IDEMPOTENCY_KEY_MAX_LENGTH}}$`);

/** Whether a header value is an acceptable key (the routes' header schema enforces the same rule). */
export function isIdempotencyKey(value: unknown): value is string {
  return typeof value === 'string' && KEY.test(value);
}

/**
 * JSON with every object's keys sorted and no white space: two bodies that mean the same (keys in
 * another order, other spacing) have one canonical form. Properties whose value is undefined are
 * left out, as JSON.stringify leaves them out; undefined alone (no body) is null.
 */
export function canonicalJson(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map((item: unknown) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([name, item]) => `${JSON.stringify(name)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface FingerprintedRequest {
  method: string;
  /** The path without the query string (the write routes take none). */
  path: string;
  /** The parsed body, as the route sees it (strings already trimmed); undefined when there is none. */
  body: unknown;
  ifMatch: string | undefined;
}

/**
 * What makes two requests "the same request" for an idempotency key: method, path, canonical body
 * and If-Match, hashed (sha256, hex). A retry must match it to be answered from the record.
 */
export function requestFingerprint(request: FingerprintedRequest): string {
  const canonical = canonicalJson([request.method.toUpperCase(), request.path, request.ifMatch === undefined ? null : canonicalIfMatch(request.ifMatch), request.body ?? null]);
  return createHash('sha256').update(canonical).digest('hex');
}
