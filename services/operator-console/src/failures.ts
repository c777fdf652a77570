import { dependencyStateOf } from '@evergreen/errors';

/**
 * A component or service that answered, but not OK: its status, and the reason its own /ready
 * gives (public by contract), may be shown as they are. Any other error's text (a host, a
 * connection string, SQL, a stack) is logged and shown only as a state.
 */
export class AnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnswerError';
  }
}

/** What the page shows of a failure: an answer as it is, otherwise the dependency's state ("unavailable", "timeout" …). */
export function failureText(error: unknown): string {
  return error instanceof AnswerError ? error.message : dependencyStateOf(error);
}

/** The part of a logger the failure log writes to. */
export interface FailureLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * Logs what the page only shows as a state, once per change: the page reads every few seconds,
 * and a component that stays down would write the same line each time.
 */
export class FailureLog {
  private readonly last = new Map<string, string>();

  constructor(
    private readonly logger: FailureLogger,
    /** Keys remembered at most; the oldest is forgotten first (dead letters are many). */
    private readonly capacity = 1_000,
  ) {}

  failed(key: string, error: unknown, message: string): void {
    const text = error instanceof Error ? error.message : String(error);
    if (this.last.get(key) === text) return;
    this.last.delete(key);
    this.last.set(key, text);
    if (this.last.size > this.capacity) this.last.delete(this.last.keys().next().value as string);
    this.logger.warn({ key, err: error }, message);
  }

  recovered(key: string): void {
    this.last.delete(key);
  }
}
