import type { ErrorCode } from './codes.ts';
import { classify } from './classify.ts';

/**
 * The HTTP status of an error, by its code: bad input 4xx, a dependency away 503, anything else
 * 500. Content a request carries that the store refuses is the client's (422), never a 500.
 */
const HTTP_STATUS: Record<ErrorCode, number> = {
  MISSING_METADATA: 400,
  INVALID_KEY: 400,
  UNKNOWN_EVENT_TYPE: 400,
  BAD_MAGIC_BYTE: 400,
  TRUNCATED: 400,
  UNDECODABLE: 400,
  UNKNOWN_SCHEMA: 400,
  INCOMPATIBLE_SCHEMA: 400,
  INVALID_VALUE: 400,
  PAYLOAD_MISMATCH: 400,
  HANDLER_REJECTED: 422,
  STORE_REJECTED: 422,
  PARKED: 409,
  RETRIES_EXHAUSTED: 500,
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  UNVERIFIED_DOWNLOAD: 500,
  DEPENDENCY_UNAVAILABLE: 503,
  TIMEOUT: 503,
  CONTENTION: 503,
  MISCONFIGURED: 503,
  INTERNAL: 500,
};

export function httpStatusOf(error: unknown): number {
  return HTTP_STATUS[classify(error).code];
}

/**
 * The exit codes every Evergreen command line uses (docs/operations.md lists them):
 * 0 done; 1 failed, or found what it looked for wrong (drift); 2 usage: an argument or option is
 * not valid; 3 refused: understood, but the state does not allow it; 4 a dependency is away or did
 * not answer in time: try again.
 */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, REFUSED: 3, UNAVAILABLE: 4 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export function exitCodeOf(error: unknown): ExitCode {
  const { code, disposition } = classify(error);
  if (code === 'INVALID_ARGUMENT') return EXIT.USAGE;
  if (code === 'CONFLICT' || code === 'NOT_FOUND' || code === 'PRECONDITION_FAILED') return EXIT.REFUSED;
  if (disposition === 'transient') return EXIT.UNAVAILABLE;
  return EXIT.FAILED;
}

/**
 * What a client is told of a dependency that failed: its state, from the error's code. The error's
 * own text (host names, connection strings, SQL, a stack) is for the log only.
 */
export type DependencyState = 'unavailable' | 'timeout' | 'busy' | 'misconfigured' | 'failed';

export const DEPENDENCY_STATES: readonly DependencyState[] = ['unavailable', 'timeout', 'busy', 'misconfigured', 'failed'];

const DEPENDENCY_STATE: Partial<Record<ErrorCode, DependencyState>> = {
  DEPENDENCY_UNAVAILABLE: 'unavailable',
  TIMEOUT: 'timeout',
  CONTENTION: 'busy',
  MISCONFIGURED: 'misconfigured',
};

export function dependencyStateOf(error: unknown): DependencyState {
  return DEPENDENCY_STATE[classify(error).code] ?? 'failed';
}

/**
 * A dependency's failure as an HTTP body may carry it: `<dependency>: <state>`, e.g.
 * "postgres: unavailable" (the states: docs/operations.md#what-clients-are-told-of-a-failure).
 * The dependency is the one the error names when classify recognises it (a pg error in a verify
 * that also reads Redis), else the one the caller called. Stable whatever the error said; log the
 * error itself beside it.
 */
export function publicReason(dependency: string, error: unknown): string {
  const { code, dependency: named } = classify(error);
  return `${named ?? dependency}: ${DEPENDENCY_STATE[code] ?? 'failed'}`;
}
