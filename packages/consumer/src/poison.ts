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
