import { createLogger } from '@evergreen/platform';
import { describeServerTimeouts } from '@evergreen/platform/testing';
import { buildApp, CONSOLE_SERVER_TIMEOUTS } from './app.ts';
import { allowedHosts } from './host-guard.ts';
import type { ConsoleSources } from './sources.ts';

// No request in these tests reaches a source. A verify or repair in progress may run ten minutes.
await describeServerTimeouts(
  "the operator console's HTTP server",
  (serverTimeouts) => buildApp({ sources: {} as ConsoleSources, token: 'token', logger: createLogger('console-test', 'silent'), allowedHosts: allowedHosts('127.0.0.1', undefined), ...(serverTimeouts ? { serverTimeouts } : {}) }),
  { tricklePath: '/api/drift/verify', keepAlivePath: '/health' },
  CONSOLE_SERVER_TIMEOUTS,
);
