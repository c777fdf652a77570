/**
 * What retrying an error can do. `permanent`: the same input fails every time (a record goes to
 * its dead-letter topic at once, a request gets a 4xx). `transient`: a dependency is away, slow or
 * busy, and the same call may pass in a moment (retried; a request gets 503). `unknown`: neither
 * is known, so it is retried with backoff up to a bound, then treated as permanent.
 */
export type Disposition = 'permanent' | 'transient' | 'unknown';

/** The services Evergreen talks to; a transient error names the one that failed. */
export type Dependency = 'postgres' | 'redis' | 'kafka' | 'registry' | 'connect';

export const DEPENDENCIES: readonly Dependency[] = ['postgres', 'redis', 'kafka', 'registry', 'connect'];

/**
 * Every way Evergreen fails, as a closed list, each with its disposition. Adding a code is a
 * decision about retries, dead letters, HTTP statuses and exit codes at once: see the tables below.
 */
const CODES = {
  // A record's key or headers are not what the outbox writes.
  MISSING_METADATA: 'permanent',
  /** The record key is not a valid id for the aggregate (and so for any store keyed by it). */
  INVALID_KEY: 'permanent',
  /** The eventType header names no event type of the aggregate, in any spelling. */
  UNKNOWN_EVENT_TYPE: 'permanent',
  // The payload's bytes (avro-serde).
  /** The first byte is not the Confluent wire format's magic byte 0. */
  BAD_MAGIC_BYTE: 'permanent',
  /** Shorter than the 5-byte wire header. */
  TRUNCATED: 'permanent',
  /** The bytes are not valid Avro for the writer's schema. */
  UNDECODABLE: 'permanent',
  /** The registry does not know the schema id (or the subject has no such schema). */
  UNKNOWN_SCHEMA: 'permanent',
  /** The writer's schema cannot be resolved into the reader's. */
  INCOMPATIBLE_SCHEMA: 'permanent',
  /** A value does not match its schema (encode side, or a request body). */
  INVALID_VALUE: 'permanent',
  /** The payload contradicts the record: another id, version or event type than its key and headers say. */
  PAYLOAD_MISMATCH: 'permanent',
  /** A projection's handler refused the event. */
  HANDLER_REJECTED: 'permanent',
  /** The store refused the content: a constraint, a type, a value out of range, WRONGTYPE. */
  STORE_REJECTED: 'permanent',
  /** An operator moved the record aside (`npm run dlq -- park`). */
  PARKED: 'permanent',
  /** An error of unknown kind kept failing past the retry bound. */
  RETRIES_EXHAUSTED: 'permanent',
  // Requests and commands.
  /** An argument, option, header or field that is not valid; the message names it. */
  INVALID_ARGUMENT: 'permanent',
  NOT_FOUND: 'permanent',
  /** The request is valid but the state does not allow it now (e.g. a group that is not at that offset). */
  CONFLICT: 'permanent',
  PRECONDITION_FAILED: 'permanent',
  // Installing.
  /**
   * A download that does not match the checksum its repository publishes (or one pinned for it), or
   * for which none is published or pinned: refused before it is unpacked.
   */
  UNVERIFIED_DOWNLOAD: 'permanent',
  // Dependencies.
  /** Connection refused, reset or closed; a server starting, stopping, out of connections. */
  DEPENDENCY_UNAVAILABLE: 'transient',
  /** No answer within the caller's bound. */
  TIMEOUT: 'transient',
  /** A lock, a serialization failure, a deadlock: another writer was in the way. */
  CONTENTION: 'transient',
  /**
   * The dependency answers, but not what it must (a registry that knows no schema at all, a table
   * that does not exist, a permission missing): no record is at fault, so none is dead-lettered;
   * retried until an operator fixes it, and reported as stuck meanwhile.
   */
  MISCONFIGURED: 'transient',
  /** Anything not recognised: a bug, or a failure nobody has classified yet. */
  INTERNAL: 'unknown',
} as const satisfies Record<string, Disposition>;

export type ErrorCode = keyof typeof CODES;

export const ErrorCode = Object.fromEntries(Object.keys(CODES).map((code) => [code, code])) as { readonly [C in ErrorCode]: C };

export const ERROR_CODES = Object.keys(CODES) as ErrorCode[];

export function dispositionOf(code: ErrorCode): Disposition {
  return CODES[code];
}

/** The code as a dead letter's `dlq.reason` and a problem's type slug: lower-case words with dashes. */
export function reasonOf(code: ErrorCode): string {
  return code.toLowerCase().replaceAll('_', '-');
}

/** The code a dead letter's `dlq.reason` (reasonOf) names, if any. */
export function codeOfReason(reason: string): ErrorCode | undefined {
  const code = reason.toUpperCase().replaceAll('-', '_');
  return Object.hasOwn(CODES, code) ? (code as ErrorCode) : undefined;
}
