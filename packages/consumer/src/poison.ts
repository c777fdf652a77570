import { SerdeError } from '@evergreen/avro-serde';

/** A record that can never be applied, however often it is retried: it goes to the dead-letter topic. */
export class PoisonRecordError extends Error {
  constructor(
    readonly reason: PoisonReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PoisonRecordError';
  }
}

export type PoisonReason = 'undecodable' | 'missing-metadata' | 'unknown-event-type' | 'rejected';

/**
 * Whether a decoding failure is poison: a SerdeError that says retrying cannot help (bad bytes,
 * unknown or incompatible schema). A registry that is away, or any other error, is transient.
 */
export function isPoisonDecodeFailure(error: unknown): error is SerdeError {
  return error instanceof SerdeError && !error.retriable;
}

/**
 * Refuses (as poison) a state payload that disagrees with its record: its aggregate id (the field
 * `idField`) is not the record's key, or its version is not the aggregateVersion header. A store
 * keyed and versioned by the metadata would otherwise file the payload under the wrong entry.
 */
export function assertStateMatchesRecord(event: { aggregateId: string; aggregateVersion: number }, idField: string, id: string, version: number): void {
  if (id !== event.aggregateId) throw new PoisonRecordError('rejected', `payload ${idField} ${id} differs from the record key ${event.aggregateId}`);
  if (version !== event.aggregateVersion) throw new PoisonRecordError('rejected', `payload version ${version} differs from the aggregateVersion header ${event.aggregateVersion}`);
}
