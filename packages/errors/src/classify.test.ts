import { describe, expect, it } from 'vitest';
import { DatabaseError } from 'pg-protocol';
import { ReplyError } from 'ioredis';
import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSRequestTimeoutError } from 'kafkajs';
import { classify, describeError, ERROR_CODES, EvergreenError, exitCodeOf, httpStatusOf, publicReason, reasonOf, codeOfReason, toEvergreenError, EXIT } from './index.ts';

function pgError(sqlState: string): DatabaseError {
  const error = new DatabaseError('refused', 0, 'error');
  error.code = sqlState;
  return error;
}

function errno(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

describe('classify', () => {
  it.each([
    ['22P02', 'STORE_REJECTED'], // a text that is not a uuid
    ['22003', 'STORE_REJECTED'], // out of range
    ['22P05', 'STORE_REJECTED'], // \u0000 in jsonb
    ['23505', 'STORE_REJECTED'],
    ['23503', 'STORE_REJECTED'],
    ['54000', 'STORE_REJECTED'],
    ['P0001', 'STORE_REJECTED'],
    ['08006', 'DEPENDENCY_UNAVAILABLE'],
    ['53300', 'DEPENDENCY_UNAVAILABLE'],
    ['57P01', 'DEPENDENCY_UNAVAILABLE'],
    ['57014', 'TIMEOUT'],
    ['25P03', 'TIMEOUT'],
    ['40001', 'CONTENTION'],
    ['40P01', 'CONTENTION'],
    ['55P03', 'CONTENTION'],
    ['42P01', 'MISCONFIGURED'],
    ['42501', 'MISCONFIGURED'],
    ['42601', 'INTERNAL'], // a syntax error is a bug, not a database to wait for
    ['42703', 'INTERNAL'],
    ['XX000', 'INTERNAL'],
  ])('PostgreSQL %s is %s', (sqlState, code) => {
    const found = classify(pgError(sqlState));
    expect(found.code).toBe(code);
    expect(found.dependency).toBe('postgres');
  });

  it.each([
    ['WRONGTYPE Operation against a key holding the wrong kind of value', 'STORE_REJECTED', 'permanent'],
    ['LOADING Redis is loading the dataset in memory', 'DEPENDENCY_UNAVAILABLE', 'transient'],
    ['OOM command not allowed when used memory > maxmemory', 'DEPENDENCY_UNAVAILABLE', 'transient'],
    ['NOPERM this user has no permissions', 'MISCONFIGURED', 'transient'],
    ['ERR user_script:3: attempt to compare nil with number', 'INTERNAL', 'unknown'],
  ])('the Redis reply %s is %s', (message, code, disposition) => {
    expect(classify(new ReplyError(message))).toEqual({ code, disposition, dependency: 'redis' });
  });

  it("recognises pg's own errors when PostgreSQL does not answer", () => {
    expect(classify(new Error('timeout expired'))).toMatchObject({ code: 'TIMEOUT', dependency: 'postgres' });
    expect(classify(new Error('timeout exceeded when trying to connect'))).toMatchObject({ code: 'TIMEOUT', dependency: 'postgres' });
    expect(classify(new Error('Query read timeout'))).toMatchObject({ code: 'TIMEOUT', dependency: 'postgres' });
  });

  it("recognises ioredis's own errors when Redis does not answer", () => {
    expect(classify(new Error('Command timed out')).code).toBe('TIMEOUT');
    expect(classify(new Error('Connection is closed.')).code).toBe('DEPENDENCY_UNAVAILABLE');
  });

  it('reads a broker that never answered its handshake as unavailable, also once kafkajs gave up retrying', () => {
    const notConnected = new Error('Broker not connected');
    expect(classify(notConnected)).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', dependency: 'kafka' });
    expect(classify(new KafkaJSNumberOfRetriesExceeded(notConnected, { retryCount: 5, retryTime: 9_000 }))).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', dependency: 'kafka' });
  });

  it('reads kafkajs errors by their retriable flag and type', () => {
    expect(classify(new KafkaJSConnectionError('Connection error')).code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(classify(new KafkaJSRequestTimeoutError('Request timed out')).code).toBe('TIMEOUT');
    const tooLarge = new KafkaJSProtocolError({ message: 'The request included a message larger than the max message size', type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false } as never);
    expect(classify(tooLarge)).toMatchObject({ code: 'STORE_REJECTED', dependency: 'kafka' });
  });

  it('reads Node network errors, also inside AggregateError and cause, naming the dependency the caller gives', () => {
    expect(classify(errno('ECONNREFUSED'), { dependency: 'registry' })).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', dependency: 'registry' });
    expect(classify(new AggregateError([errno('ECONNREFUSED'), errno('ECONNREFUSED')]), { dependency: 'connect' }).code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(classify(new Error('fetch failed', { cause: errno('UND_ERR_HEADERS_TIMEOUT') })).code).toBe('TIMEOUT');
    expect(classify(new DOMException('The operation was aborted due to timeout', 'TimeoutError')).code).toBe('TIMEOUT');
  });

  it('leaves what it does not recognise unknown: a bug is neither permanent nor transient', () => {
    expect(classify(new TypeError('op is not a function'))).toEqual({ code: 'INTERNAL', disposition: 'unknown', dependency: undefined });
    expect(classify('a string')).toMatchObject({ code: 'INTERNAL' });
    expect(classify(undefined)).toMatchObject({ code: 'INTERNAL' });
  });

  it("takes an EvergreenError's own code over its cause's", () => {
    const error = new EvergreenError('INVALID_KEY', 'key is not a uuid', { cause: pgError('22P02') });
    expect(classify(error)).toMatchObject({ code: 'INVALID_KEY', disposition: 'permanent' });
  });

  it('finds a recognisable cause under an unrecognised wrapper', () => {
    expect(classify(new Error('apply failed', { cause: pgError('23505') })).code).toBe('STORE_REJECTED');
  });
});

describe('EvergreenError', () => {
  it('is retriable exactly when its code is transient', () => {
    expect(new EvergreenError('TIMEOUT', 'slow').retriable).toBe(true);
    expect(new EvergreenError('INVALID_KEY', 'bad').retriable).toBe(false);
    expect(new EvergreenError('INTERNAL', 'bug').retriable).toBe(false);
  });

  it('names each code as a dead-letter reason, and back', () => {
    for (const code of ERROR_CODES) expect(codeOfReason(reasonOf(code))).toBe(code);
    expect(reasonOf('UNKNOWN_EVENT_TYPE')).toBe('unknown-event-type');
    expect(codeOfReason('constructor')).toBeUndefined();
    expect(codeOfReason('to-string')).toBeUndefined();
  });

  it('wraps a foreign error under its classified code', () => {
    const wrapped = toEvergreenError(pgError('22P02'));
    expect(wrapped).toBeInstanceOf(EvergreenError);
    expect(wrapped.code).toBe('STORE_REJECTED');
    expect(wrapped.cause).toBeInstanceOf(DatabaseError);
  });
});

describe('describeError', () => {
  it('gives the whole chain with codes, bounded', () => {
    const text = describeError(new Error('apply failed', { cause: pgError('22P02') }));
    expect(text).toMatch(/^Error: apply failed/);
    expect(text).toMatch(/caused by error \[22P02\]: refused/);
    expect(describeError(new Error('x'.repeat(10_000)), 100)).toHaveLength(100);
  });
});

describe('the surfaces', () => {
  it('maps bad input to 4xx, a dependency away to 503, anything else to 500', () => {
    expect(httpStatusOf(new EvergreenError('INVALID_ARGUMENT', 'id'))).toBe(400);
    expect(httpStatusOf(pgError('22P02'))).toBe(422);
    expect(httpStatusOf(pgError('08006'))).toBe(503);
    expect(httpStatusOf(new TypeError('bug'))).toBe(500);
  });

  it('gives every command line the same exit codes', () => {
    expect(exitCodeOf(new EvergreenError('INVALID_ARGUMENT', 'bad'))).toBe(EXIT.USAGE);
    expect(exitCodeOf(new EvergreenError('CONFLICT', 'not there'))).toBe(EXIT.REFUSED);
    expect(exitCodeOf(errno('ECONNREFUSED'))).toBe(EXIT.UNAVAILABLE);
    expect(exitCodeOf(new Error('bug'))).toBe(EXIT.FAILED);
  });

  it('tells a client which dependency and its state, never the error text', () => {
    const refused = new Error('connect ECONNREFUSED 10.1.2.3:5432', { cause: errno('ECONNREFUSED') });
    expect(publicReason('postgres', refused)).toBe('postgres: unavailable');
    expect(publicReason('registry', new DOMException('The operation was aborted due to timeout', 'TimeoutError'))).toBe('registry: timeout');
    expect(publicReason('postgres', pgError('40P01'))).toBe('postgres: busy');
    const password = pgError('28P01');
    password.message = 'password authentication failed for user "evergreen" (postgres://evergreen:s3cret@db:5432/evergreen)';
    expect(publicReason('postgres', password)).toBe('postgres: misconfigured');
    expect(publicReason('connect', new Error('SELECT * FROM secrets; at Object.<anonymous> (/srv/app.js:1:1)'))).toBe('connect: failed');
    // What the error says it came from wins over what the caller guessed.
    expect(publicReason('kafka', new Error('verify failed', { cause: pgError('57P01') }))).toBe('postgres: unavailable');
  });
});
