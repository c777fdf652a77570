import { describeServerTimeouts } from '@evergreen/platform/testing';
import { buildApp } from './app.ts';
import { fakeDb, fakeOutbox, fakeRedis } from './test-support.ts';

// Fastify alone has no request timeout: a body trickled to POST /users held its socket for ever.
await describeServerTimeouts(
  "the registration API's HTTP server",
  (serverTimeouts) => buildApp({ pool: fakeDb().pool, outbox: fakeOutbox([]).outbox, redis: fakeRedis().redis, readYourWritesTimeoutMs: 100, ...(serverTimeouts ? { serverTimeouts } : {}) }),
  { tricklePath: '/users', keepAlivePath: '/health' },
);
