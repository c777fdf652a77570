import { dispositionOf, type Dependency, type Disposition, type ErrorCode } from './codes.ts';
import { EvergreenError } from './evergreen-error.ts';

/** What classify says of an error: its code, and so its disposition, and the dependency it names. */
export interface Classification {
  code: ErrorCode;
  disposition: Disposition;
  dependency: Dependency | undefined;
}

const classification = (code: ErrorCode, dependency?: Dependency): Classification => ({ code, disposition: dispositionOf(code), dependency });

/** What the caller knows of where an error came from, for errors that do not say it themselves. */
export interface ClassifyContext {
  /** The dependency the failed call was made to: a sink's store, say. */
  dependency?: Dependency;
}

// Node's and undici's codes for a peer that cannot be reached or went away mid-call.
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'ENOTFOUND', 'EAI_AGAIN',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * A PostgreSQL SQLSTATE, by class (its first two characters) where the class says it all.
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
function postgresCode(sqlState: string): ErrorCode {
  if (sqlState === '57014') return 'TIMEOUT'; // statement_timeout, or cancelled by the client's bound
  if (sqlState === '25P03') return 'TIMEOUT'; // idle_in_transaction_session_timeout ended the session
  if (sqlState === '55P03' || sqlState === '40001' || sqlState === '40P01') return 'CONTENTION';
  // The database lacks what the code expects (a migration not applied, a grant missing): no record
  // or request is at fault. Any other class 42 error (a syntax error, an unknown column) is a bug.
  if (sqlState === '42P01' || sqlState === '42501' || sqlState === '42704' || sqlState === '42883') return 'MISCONFIGURED';
  const kind = sqlState.slice(0, 2);
  switch (kind) {
    case '08': // connection exception
    case '53': // insufficient resources: connections, memory, disk
    case '57': // operator intervention: shutdown, crash, starting up
    case '58': // system error: I/O
      return 'DEPENDENCY_UNAVAILABLE';
    case '22': // data exception: bad text for a type, out of range, untranslatable character
    case '23': // integrity constraint
    case '54': // program limit exceeded: a value or row too large to index
    case 'P0': // raised by a trigger or function: the content was refused
      return 'STORE_REJECTED';
    case '3D': // invalid catalog name: no such database
    case '3F': // invalid schema name
    case '28': // invalid authorization
    case '0A': // feature not supported
      return 'MISCONFIGURED';
    default:
      return 'INTERNAL';
  }
}

// node-postgres's own messages when it has no usable connection or no answer in time.
const POSTGRES_CLIENT_MESSAGES: Array<[RegExp, ErrorCode]> = [
  [/^Connection terminated due to connection timeout$/, 'TIMEOUT'],
  // A lone pg.Client's connectionTimeoutMillis (a pool says "timeout exceeded when trying to connect").
  [/^timeout expired$/, 'TIMEOUT'],
  [/timeout exceeded when trying to connect/, 'TIMEOUT'],
  // A lone pg.Client's connectionTimeoutMillis.
  [/^timeout expired$/, 'TIMEOUT'],
  [/^Query read timeout$/, 'TIMEOUT'],
  [/^Connection terminated/, 'DEPENDENCY_UNAVAILABLE'],
  [/is not queryable$/, 'DEPENDENCY_UNAVAILABLE'],
  [/^Client has encountered a connection error and is not queryable$/, 'DEPENDENCY_UNAVAILABLE'],
];

// Replies of a Redis that cannot serve now, as opposed to replies about the request.
const REDIS_BUSY_REPLY = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|MISCONF|READONLY|OOM|NOREPLICAS) /;
const REDIS_AUTH_REPLY = /^(NOAUTH|NOPERM|WRONGPASS) /;
// ioredis's own messages when there is no answer.
const REDIS_CLIENT_MESSAGES: Array<[RegExp, ErrorCode]> = [
  [/^Command timed out$/, 'TIMEOUT'],
  [/^Connection is closed\.?$/, 'DEPENDENCY_UNAVAILABLE'],
  [/^Stream isn't writeable/, 'DEPENDENCY_UNAVAILABLE'],
  [/^Reached the max retries per request limit/, 'DEPENDENCY_UNAVAILABLE'],
  [/^Failed to refresh slots cache/, 'DEPENDENCY_UNAVAILABLE'],
  [/^None of startup nodes is available/, 'DEPENDENCY_UNAVAILABLE'],
];

function redisReply(message: string): ErrorCode {
  if (REDIS_BUSY_REPLY.test(message)) return 'DEPENDENCY_UNAVAILABLE';
  if (REDIS_AUTH_REPLY.test(message)) return 'MISCONFIGURED';
  // WRONGTYPE: the key holds another type than the projection writes; the entry, not Redis, is wrong.
  if (message.startsWith('WRONGTYPE ')) return 'STORE_REJECTED';
  // NOSCRIPT is handled by ioredis itself; an ERR from a script or a command is not recognised.
  return 'INTERNAL';
}

const SQLSTATE = /^(?=[0-9A-Z]*\d)[0-9A-Z]{5}$/;

function ownCode(error: object): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function classifyOne(error: unknown, context: ClassifyContext): Classification | undefined {
  if (error instanceof EvergreenError) return classification(error.code, error.dependency ?? context.dependency);
  if (typeof error !== 'object' || error === null) return undefined;
  const name = (error as { name?: unknown }).name;
  const message = typeof (error as { message?: unknown }).message === 'string' ? (error as { message: string }).message : '';
  const code = ownCode(error);

  if (code && NETWORK_CODES.has(code)) return classification('DEPENDENCY_UNAVAILABLE', context.dependency);
  if (code && TIMEOUT_CODES.has(code)) return classification('TIMEOUT', context.dependency);
  if (name === 'TimeoutError' || name === 'AbortError') return classification('TIMEOUT', context.dependency);

  // pg's DatabaseError carries the SQLSTATE as `code`: five characters, a digit among them (which
  // no Node errno has: EPIPE is checked above anyway).
  if (code && SQLSTATE.test(code)) {
    return classification(postgresCode(code), 'postgres');
  }
  for (const [pattern, pgCode] of POSTGRES_CLIENT_MESSAGES) if (pattern.test(message)) return classification(pgCode, 'postgres');

  if (name === 'ReplyError') return classification(redisReply(message), 'redis');
  if (name === 'MaxRetriesPerRequestError' || name === 'ClusterAllFailedError') return classification('DEPENDENCY_UNAVAILABLE', 'redis');
  for (const [pattern, redisCode] of REDIS_CLIENT_MESSAGES) if (pattern.test(message)) return classification(redisCode, 'redis');

  // kafkajs throws this one as a plain Error: a broker whose connection never finished its
  // handshake (it accepted the connection and did not answer within requestTimeout).
  if (message === 'Broker not connected') return classification('DEPENDENCY_UNAVAILABLE', 'kafka');
  // kafkajs: every other error is a KafkaJSError with a retriable flag it sets per protocol error.
  if (typeof name === 'string' && name.startsWith('KafkaJS')) {
    if (name === 'KafkaJSRequestTimeoutError' || name === 'KafkaJSTimeout') return classification('TIMEOUT', 'kafka');
    if ((error as { retriable?: unknown }).retriable === true) return classification('DEPENDENCY_UNAVAILABLE', 'kafka');
    if ((error as { type?: unknown }).type === 'MESSAGE_TOO_LARGE' || /too large/i.test(message)) return classification('STORE_REJECTED', 'kafka');
    return classification('INTERNAL', 'kafka');
  }
  return undefined;
}

/**
 * The one classifier: sorts any error into a code and disposition. An EvergreenError says its own;
 * errors of pg, ioredis, kafkajs and Node are recognised by their codes and names, looking through
 * `cause` and AggregateError's `errors` (Node reports a refused connection on every address so).
 * Anything else is INTERNAL, disposition unknown.
 */
export function classify(error: unknown, context: ClassifyContext = {}): Classification {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (seen.has(current)) continue;
    seen.add(current);
    const found = classifyOne(current, context);
    if (found && found.code !== 'INTERNAL') return found;
    if (typeof current === 'object' && current !== null) {
      const { cause, errors } = current as { cause?: unknown; errors?: unknown };
      if (cause !== undefined) queue.push(cause);
      if (Array.isArray(errors)) queue.push(...errors);
    }
  }
  const top = classifyOne(error, context);
  return top ?? classification('INTERNAL', context.dependency);
}

/** An EvergreenError for any error: itself, or a new one that wraps it under its classified code. */
export function toEvergreenError(error: unknown, context: ClassifyContext = {}): EvergreenError {
  if (error instanceof EvergreenError) return error;
  const { code, dependency } = classify(error, context);
  const message = error instanceof Error ? error.message : String(error);
  return new EvergreenError(code, message, { cause: error, dependency });
}
