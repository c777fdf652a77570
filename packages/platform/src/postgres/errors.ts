import { classify } from '@evergreen/errors';

/** The message pg rejects a query with when its query_timeout passed without an answer. */
const CLIENT_SIDE_TIMEOUT = 'Query read timeout';

/** A query abandoned by the client (query_timeout): it may still run, so the connection is busy. */
export function isClientSideTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === CLIENT_SIDE_TIMEOUT;
}

/**
 * Whether an error from pg means PostgreSQL cannot serve us now (down, restarting, unreachable,
 * too slow, a lock or a bound in the way) rather than that the request was wrong: worth a 503 and
 * a retry, not a 500. The one classifier (@evergreen/errors) decides.
 */
export function isPostgresUnavailable(error: unknown): boolean {
  const { disposition, dependency } = classify(error, { dependency: 'postgres' });
  return disposition === 'transient' && dependency === 'postgres';
}
