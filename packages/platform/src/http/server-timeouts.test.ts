import { describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_SERVER_TIMEOUTS, fastifyServerOptions, nodeServerOptions } from './server-timeouts.ts';

describe('the HTTP servers’ bounds', () => {
  it('are finite by default, and checked every second rather than every 30', () => {
    expect(nodeServerOptions()).toEqual({ headersTimeout: 10_000, requestTimeout: 15_000, keepAliveTimeout: 5_000, connectionsCheckingInterval: 1_000 });
    expect(fastifyServerOptions()).toMatchObject({ connectionTimeout: DEFAULT_HTTP_SERVER_TIMEOUTS.idleTimeoutMs, requestTimeout: 15_000, keepAliveTimeout: 5_000 });
  });

  it('keep the headers timeout within the request timeout, as Node requires', () => {
    expect(nodeServerOptions({ requestTimeoutMs: 2_000 })).toMatchObject({ headersTimeout: 2_000, requestTimeout: 2_000 });
  });
});
