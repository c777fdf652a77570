export interface PollOptions {
  /** What is awaited, for the error message. */
  description: string;
  timeoutMs: number;
  intervalMs?: number;
}

export class DeadlineExceededError extends Error {
  constructor(
    description: string,
    timeoutMs: number,
    readonly lastError: unknown,
  ) {
    const detail = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
    super(`timed out after ${timeoutMs} ms waiting for ${description}${detail}`);
    this.name = 'DeadlineExceededError';
  }
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `probe` until it returns a value other than undefined/false, or the deadline passes.
 * A probe that throws counts as "not yet"; its last error is kept for the timeout message.
 */
export async function pollUntil<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, options: PollOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 250;
  let lastError: unknown;
  for (;;) {
    try {
      const result = await probe();
      if (result !== undefined && result !== false) return result;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) throw new DeadlineExceededError(options.description, options.timeoutMs, lastError);
    await pause(Math.min(interval, Math.max(0, deadline - Date.now())));
  }
}
