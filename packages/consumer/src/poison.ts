import { EvergreenError, type ErrorCode } from '@evergreen/errors';

/** The codes that put the fault in the record itself (or in an operator's decision about it). */
export type PoisonCode = Extract<
  ErrorCode,
  | 'MISSING_METADATA'
  | 'INVALID_KEY'
  | 'UNKNOWN_EVENT_TYPE'
  | 'BAD_MAGIC_BYTE'
  | 'TRUNCATED'
  | 'UNDECODABLE'
  | 'UNKNOWN_SCHEMA'
  | 'INCOMPATIBLE_SCHEMA'
  | 'PAYLOAD_MISMATCH'
  | 'HANDLER_REJECTED'
  | 'STORE_REJECTED'
  | 'PARKED'
  | 'RETRIES_EXHAUSTED'
>;

export const POISON_CODES: readonly PoisonCode[] = [
  'MISSING_METADATA', 'INVALID_KEY', 'UNKNOWN_EVENT_TYPE', 'BAD_MAGIC_BYTE', 'TRUNCATED', 'UNDECODABLE', 'UNKNOWN_SCHEMA', 'INCOMPATIBLE_SCHEMA',
  'PAYLOAD_MISMATCH', 'HANDLER_REJECTED', 'STORE_REJECTED', 'PARKED', 'RETRIES_EXHAUSTED',
];

const isPoisonCode = (code: ErrorCode): code is PoisonCode => (POISON_CODES as readonly string[]).includes(code);

/**
 * A record that can never be applied, however often it is retried: it goes to the dead-letter
 * topic with its code as the reason (`dlq.reason`, e.g. `payload-mismatch`). A handler throws one
 * to refuse an event; the framework throws them for what it refuses itself.
 */
export class PoisonRecordError extends EvergreenError {
  declare readonly code: PoisonCode;

  constructor(code: PoisonCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'PoisonRecordError';
  }
}

/**
 * The poison a permanent failure makes of the record it happened on. A record's own code is kept
 * (the serde's UNDECODABLE, a handler's PAYLOAD_MISMATCH); any other permanent failure happened
 * where the record was written, so the store refused it.
 */
export function poisonFrom(error: unknown, code: ErrorCode): PoisonRecordError {
  if (error instanceof PoisonRecordError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new PoisonRecordError(isPoisonCode(code) ? code : 'STORE_REJECTED', message, { cause: error });
}

/**
 * Refuses (as poison) a state payload that disagrees with its record: its aggregate id (the field
 * `idField`) is not the record's key, or its version is not the aggregateVersion header. A store
 * keyed and versioned by the metadata would otherwise file the payload under the wrong entry.
 */
export function assertStateMatchesRecord(event: { aggregateId: string; aggregateVersion: number }, idField: string, id: string, version: number): void {
  if (id !== event.aggregateId) throw new PoisonRecordError('PAYLOAD_MISMATCH', `payload ${idField} ${id} differs from the record key ${event.aggregateId}`);
  if (version !== event.aggregateVersion) throw new PoisonRecordError('PAYLOAD_MISMATCH', `payload version ${version} differs from the aggregateVersion header ${event.aggregateVersion}`);
}
