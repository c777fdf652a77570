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
