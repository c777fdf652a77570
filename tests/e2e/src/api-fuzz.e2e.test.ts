import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvroSerde } from '@evergreen/avro-serde';
import { createOutbox } from '@evergreen/outbox';
import { buildApp as buildOrderService, orderServiceMigrations } from '@evergreen/order-service';
import { createLogger, loadStackConfig } from '@evergreen/platform';
import { buildApp as buildRegistrationApi, registrationMigrations } from '@evergreen/registration-api';
import { eventCatalog } from '@evergreen/schemas';
import { describeAnswers, describeViolations, ErrorLog, fuzzApi, type FuzzReport } from './support/api-fuzz/fuzz.ts';
import { openFuzzDatabase, type FuzzDatabase } from './support/api-fuzz/fuzz-database.ts';
import type { OpenApiDocument } from './support/api-fuzz/openapi.ts';

// Issue #21: both APIs fuzzed from the OpenAPI document each serves, on the real PostgreSQL
// (a database of the fuzzer's own, support/api-fuzz/fuzz-database.ts), through inject() on the
// real app with real pools. Every answer must be what the document says for its status; no 5xx
// but 503 dependency-unavailable; every error problem+json; no refused request writes a row.
// EVERGREEN_FUZZ_SEED=<seed> replays a run's requests; EVERGREEN_FUZZ_RUNS changes their number.

const RUNS = Number(process.env.EVERGREEN_FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.EVERGREEN_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const config = loadStackConfig();
/** The apps' errors, so that a 5xx is reported with its cause. */
const errorLog = new ErrorLog();
const logger = createLogger('api-fuzz', 'error', {}, errorLog);

/** What the apps serve outside their documents: the probes, the metrics and the document itself. */
const isServedPath = (path: string) => ['/health', '/ready', '/metrics', '/docs'].includes(path) || path.startsWith('/docs/');

async function documentOf(app: FastifyInstance): Promise<OpenApiDocument> {
  const response = await app.inject({ method: 'GET', url: '/docs/json' });
  expect(response.statusCode).toBe(200);
  return response.json<OpenApiDocument>();
}

/** Fails with every kind of violation found, each with a request that shows it and the seed that replays the run. */
function expectClean(service: string, report: FuzzReport): void {
  console.log(`[fuzz] ${service}: ${report.requests} requests in ${report.seconds.toFixed(1)} s, seed ${SEED}\n${describeAnswers(report.answers)}`);
  const serverErrors = report.violations.filter((violation) => violation.kind === 'server-error').length;
  if (report.violations.length > 0) {
    throw new Error(
      `${service}: ${report.violations.length} violation(s), ${serverErrors} of them 5xx, in ${report.requests} requests; replay with EVERGREEN_FUZZ_SEED=${SEED}\n${describeViolations(report.violations)}`,
    );
  }
  // The fuzzer reached past validation: every operation both succeeded and refused.
  const operations = new Set([...report.answers.keys()].filter((label) => !label.startsWith('no route') && !label.includes('(HEAD)')).map((label) => label.slice(0, label.lastIndexOf(' '))));
  for (const operation of operations) {
    const statuses = [...report.answers.keys()].filter((label) => label.startsWith(`${operation} `)).map((label) => Number(label.slice(label.lastIndexOf(' ') + 1)));
    expect(statuses.some((status) => status < 300), `${operation} never succeeded`).toBe(true);
    expect(statuses.some((status) => status >= 400), `${operation} never refused`).toBe(true);
  }
}

// The two run side by side: each is one request at a time on its own database, and each mostly
// waits on PostgreSQL, so together they take little longer than the slower alone.
describe.concurrent('the APIs, fuzzed', () => {
  describe('the registration API, fuzzed from its OpenAPI document', () => {
    let database: FuzzDatabase;
    let redis: Redis;
    let app: FastifyInstance;

    beforeAll(async () => {
      database = await openFuzzDatabase(config, `${config.postgres.database}_fuzz`, registrationMigrations());
      redis = new Redis({ host: config.redis.host, port: config.redis.port, db: config.redis.db });
      const outbox = createOutbox({ serde: AvroSerde.forUrl(config.registry.ccompatUrl), config, catalog: eventCatalog });
      // Its users are never in the cache: a read with minVersion waits this long for it, then reads PostgreSQL.
      app = await buildRegistrationApi({ pool: database.pool, outbox, redis, readYourWritesTimeoutMs: 5, retention: { sweepIntervalMs: 3_600_000 }, logger });
    });
    afterAll(async () => {
      await app?.close();
      await database?.close();
      redis?.disconnect();
    });

    it(`answers ${RUNS} generated requests as its document says`, async () => {
      const report = await fuzzApi({ app, document: await documentOf(app), runs: RUNS, seed: SEED, rowChanges: database.rowChanges, isServedPath, errorLog });

      expectClean('registration-api', report);
    }, 300_000);
  });

  describe('the order service, fuzzed from its OpenAPI document', () => {
    let database: FuzzDatabase;
    let app: FastifyInstance;
    const replicaUsers = Array.from({ length: 20 }, () => randomUUID());

    beforeAll(async () => {
      database = await openFuzzDatabase(config, `${config.orders.database}_fuzz`, orderServiceMigrations());
      // The users its replica holds, as its consumer would have written them.
      await database.pool.query(`INSERT INTO user_replica (id, email, name, version) SELECT id, id || '@example.com', 'Fuzzed', 1 FROM unnest($1::uuid[]) AS id`, [replicaUsers]);
      const outbox = createOutbox({ serde: AvroSerde.forUrl(config.registry.ccompatUrl), config, catalog: eventCatalog });
      app = await buildOrderService({ pool: database.pool, outbox, registry: new Registry(), notReadyBecause: async () => undefined, notLiveBecause: () => undefined, logger });
    });
    afterAll(async () => {
      await app?.close();
      await database?.close();
    });

    it(`answers ${RUNS} generated requests as its document says`, async () => {
      const report = await fuzzApi({ app, document: await documentOf(app), runs: RUNS, seed: SEED, seededPools: { userId: replicaUsers }, rowChanges: database.rowChanges, isServedPath, errorLog });

      expectClean('order-service', report);
    }, 300_000);
  });
});
