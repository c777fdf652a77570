export interface BackoffOptions {
  /** First delay's upper bound. */
  initialMs: number;
  /** No delay is longer than this. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 10_000 };

/**
 * Exponential backoff with full jitter: a random delay up to initial × 2^attempt, capped. The
 * jitter keeps many consumers that failed together (Redis restarted) from retrying in lockstep.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** Thrown when the consumer stops (or loses the partition) while it waits: the batch is left unresolved. */
export class StopRequestedError extends Error {
  constructor() {
    super('the consumer is stopping');
    this.name = 'StopRequestedError';
  }
}
