/** The message pg rejects a query with when its query_timeout passed without an answer. */
const CLIENT_SIDE_TIMEOUT = 'Query read timeout';

/** A query abandoned by the client (query_timeout): it may still run, so the connection is busy. */
export function isClientSideTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === CLIENT_SIDE_TIMEOUT;
}

// What pg and Node say when there is no usable connection: the server is down or restarting,
// the connection died, or no connection could be had (or answered) in time.
const CONNECTION_MESSAGES = [
  /^Connection terminated/,
  /timeout exceeded when trying to connect/,
  /^Query read timeout$/,
  /is not queryable$/,
  /^Connection terminated due to connection timeout$/,
  // A lone pg.Client's connectionTimeoutMillis (a pool says "timeout exceeded when trying to connect").
  /^timeout expired$/,
];
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * SQLSTATEs that say the server cannot serve us now, not that the request is wrong: class 08
 * (connection exception), class 53 (insufficient resources: too many connections, out of memory
 * or disk), admin/crash shutdown and "starting up" (57P01-57P03), and the pools' bounds: a
 * statement cancelled by statement_timeout (57014), a lock not had within lock_timeout (55P03), a
 * session ended by idle_in_transaction_session_timeout (25P03).
 */
function unavailableSqlState(code: string): boolean {
  return code.startsWith('08') || code.startsWith('53') || ['57P01', '57P02', '57P03', '57014', '55P03', '25P03'].includes(code);
}

/**
 * Whether an error from pg means PostgreSQL is unavailable (down, restarting, unreachable, too
 * slow) rather than that the request was wrong: worth a 503 and a retry, not a 500.
 */
export function isPostgresUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, errors } = error as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && unavailableSqlState(code)))) return true;
  if (typeof message === 'string' && CONNECTION_MESSAGES.some((pattern) => pattern.test(message))) return true;
  // Node reports a connection refused on every address of a host as an AggregateError.
  return Array.isArray(errors) && errors.some((inner) => isPostgresUnavailable(inner));
}
