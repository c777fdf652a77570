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

/** Thrown by retryTransient when the consumer stops while it waits: the batch is left unresolved. */
export class StopRequestedError extends Error {
  constructor() {
    super('the consumer is stopping');
    this.name = 'StopRequestedError';
  }
}

export interface RetryHooks {
  /** False once the consumer is stopping; the wait ends and nothing more is tried. */
  isRunning(): boolean;
  /** Called between waits so the group does not evict a consumer that is only waiting. */
  heartbeat(): Promise<void>;
  /** Called before each wait, with the error that caused it. */
  onRetry(error: unknown, attempt: number, delayMs: number): void;
  /** Errors that must not be retried (a rebalance, a poison record): rethrown at once. */
  isFatal(error: unknown): boolean;
}

const HEARTBEAT_EVERY_MS = 1_000;
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `work` until it succeeds, waiting with backoff between attempts, for as long as the consumer runs. */
export async function retryTransient<T>(work: () => Promise<T>, hooks: RetryHooks, options: BackoffOptions = DEFAULT_BACKOFF): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (hooks.isFatal(error)) throw error;
      if (!hooks.isRunning()) throw new StopRequestedError();
      const delay = backoffDelay(attempt, options);
      hooks.onRetry(error, attempt + 1, delay);
      const until = Date.now() + delay;
      while (Date.now() < until) {
        if (!hooks.isRunning()) throw new StopRequestedError();
        await pause(Math.min(HEARTBEAT_EVERY_MS, until - Date.now()));
        await hooks.heartbeat();
      }
    }
  }
}
