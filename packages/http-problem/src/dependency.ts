import { SerdeError } from '@evergreen/avro-serde';
import { isPostgresUnavailable } from '@evergreen/platform';

/** The services the API cannot answer without, named in its 503 answers. */
export type Dependency = 'postgres' | 'redis' | 'registry';

/** What a client is told to wait before retrying a request refused for a dependency (Retry-After, seconds). */
export const RETRY_AFTER_SECONDS = 1;

// ioredis's own errors when there is no answer: no connection within maxRetriesPerRequest
// reconnections, no answer within commandTimeout, a closed connection, or an offline queue refused.
const REDIS_ERROR_NAMES = new Set(['MaxRetriesPerRequestError']);
const REDIS_MESSAGES = [/^Command timed out$/, /^Connection is closed\.?$/, /^Stream isn't writeable/, /^Reached the max retries per request limit/];
// Replies of a Redis that cannot serve now (loading its append-only file after a restart, busy
// with a script, out of its persistence), as opposed to replies about the request (WRONGTYPE).
const REDIS_UNAVAILABLE_REPLIES = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|MISCONF) /;

export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (REDIS_ERROR_NAMES.has(error.name)) return true;
  if (REDIS_MESSAGES.some((pattern) => pattern.test(error.message))) return true;
  return error.name === 'ReplyError' && REDIS_UNAVAILABLE_REPLIES.test(error.message);
}

/**
 * Which dependency an error says is unavailable (down, restarting, unreachable, too slow), if
 * any: such a request is answered 503 with Retry-After, not 500, since it may pass in a moment.
 */
export function unavailableDependency(error: unknown): Dependency | undefined {
  // Redis first: its errors are recognised by ioredis's own names and messages only.
  if (isRedisUnavailable(error)) return 'redis';
  if (isPostgresUnavailable(error)) return 'postgres';
  // The outbox encodes with the schema ids it had from the registry; one it could not get yet
  // (the registry away or unhealthy) may come in a moment.
  if (error instanceof SerdeError && error.retriable) return 'registry';
  return undefined;
}

export const DEPENDENCY_NAMES: Record<Dependency, string> = { postgres: 'PostgreSQL', redis: 'Redis', registry: 'The schema registry' };
