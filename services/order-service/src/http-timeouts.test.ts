import type { Outbox } from '@evergreen/outbox';
import { describeServerTimeouts } from '@evergreen/platform/testing';
import type pg from 'pg';
import { Registry } from 'prom-client';
import { buildApp } from './app.ts';

// No request in these tests reaches the database or the outbox.
await describeServerTimeouts(
  "the order service's HTTP server",
  (serverTimeouts) => buildApp({ pool: {} as pg.Pool, outbox: {} as Outbox, registry: new Registry(), notReadyBecause: async () => undefined, notLiveBecause: () => undefined, ...(serverTimeouts ? { serverTimeouts } : {}) }),
  { tricklePath: '/orders', keepAlivePath: '/health' },
);
