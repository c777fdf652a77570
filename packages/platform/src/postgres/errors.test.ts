import { describe, expect, it } from 'vitest';
import { isPostgresUnavailable } from './errors.ts';

const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

describe('isPostgresUnavailable', () => {
  it.each<[string, unknown]>([
    ['a refused connection (PostgreSQL down)', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:15432')],
    ['a connection reset', withCode('ECONNRESET', 'read ECONNRESET')],
    ['a connection that died (PostgreSQL killed)', new Error('Connection terminated unexpectedly')],
    ['no connection within connectionTimeoutMillis', new Error('timeout exceeded when trying to connect')],
    ['a connection that timed out while connecting', new Error('Connection terminated due to connection timeout')],
    ['no answer within query_timeout', new Error('Query read timeout')],
    ['a client that already failed', new Error('Client has encountered a connection error and is not queryable')],
    ['the server starting up (57P03)', withCode('57P03', 'the database system is starting up')],
    ['the server shutting down (57P01)', withCode('57P01', 'terminating connection due to administrator command')],
    ['a crash restart (57P02)', withCode('57P02', 'terminating connection because of crash of another server process')],
    ['too many connections (53300)', withCode('53300', 'sorry, too many clients already')],
    ['a connection exception (08006)', withCode('08006', 'connection failure')],
    ['a lone client given no connection within connectionTimeoutMillis', new Error('timeout expired')],
    ['statement_timeout (57014)', withCode('57014', 'canceling statement due to statement timeout')],
    ['lock_timeout (55P03)', withCode('55P03', 'canceling statement due to lock timeout')],
    ['idle_in_transaction_session_timeout (25P03)', withCode('25P03', 'terminating connection due to idle-in-transaction timeout')],
    ['every address refused (AggregateError)', Object.assign(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')]), { code: undefined })],
    // Another writer was in the way: the same statement may pass in a moment.
    ['a serialization failure (40001)', withCode('40001', 'could not serialize access')],
  ])('says yes to %s', (_case, error) => {
    expect(isPostgresUnavailable(error)).toBe(true);
  });

  it.each<[string, unknown]>([
    ['a unique violation (23505)', withCode('23505', 'duplicate key value violates unique constraint "users_email_key"')],
    ['a syntax error (42601)', withCode('42601', 'syntax error at or near "SELEC"')],
    ['an application error', new Error('version mismatch')],
    ['nothing', undefined],
    ['a string', 'ECONNREFUSED'],
  ])('says no to %s', (_case, error) => {
    expect(isPostgresUnavailable(error)).toBe(false);
  });
});
