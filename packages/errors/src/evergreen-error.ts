import { dispositionOf, reasonOf, type Dependency, type Disposition, type ErrorCode } from './codes.ts';

export interface EvergreenErrorOptions {
  cause?: unknown;
  /** For a dependency's failure: which one. */
  dependency?: Dependency;
  /** For a refused argument, field or header: its name (a request's 400 names it, a CLI's usage line too). */
  field?: string;
}

/**
 * The one base error of Evergreen: a closed `code`, whether retrying can help (`retriable`, from
 * the code's disposition) and the `cause` it wraps. Retry, dead-letter, HTTP status and exit code
 * decisions read only these (see classify, httpStatusOf, exitCodeOf).
 */
export class EvergreenError extends Error {
  readonly code: ErrorCode;
  readonly dependency: Dependency | undefined;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, options: EvergreenErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EvergreenError';
    this.code = code;
    this.dependency = options.dependency;
    this.field = options.field;
  }

  get disposition(): Disposition {
    return dispositionOf(this.code);
  }

  /** True only when the same call may pass later (a dependency away, slow or busy); never for bad data. */
  get retriable(): boolean {
    return this.disposition === 'transient';
  }

  /** The code as a dead letter's reason, `unknown-event-type` say. */
  get reason(): string {
    return reasonOf(this.code);
  }
}

export function isEvergreenError(error: unknown): error is EvergreenError {
  return error instanceof EvergreenError;
}

/**
 * The error's message, with its cause's where there is one: fetch says only "fetch failed", its
 * cause why (ECONNREFUSED, a timeout). One line, for a reading that could not be taken.
 */
export function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
}

/**
 * The whole error as text, its causes included, for a dead letter's `dlq.error` and a log line:
 * what an operator needs to tell a bug from bad data without the process's logs. Bounded, since it
 * travels in a Kafka header.
 */
export function describeError(error: unknown, maxLength = 4_000): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== undefined && current !== null && !seen.has(current) && parts.length < 5) {
    seen.add(current);
    if (current instanceof Error) {
      const code = (current as { code?: unknown }).code;
      const head = `${current.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${current.message}`;
      const stack = current.stack?.split('\n').slice(1, 6).join('\n');
      parts.push(stack ? `${head}\n${stack}` : head);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  const text = parts.join('\ncaused by ');
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}
