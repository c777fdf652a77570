import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { HttpServerTimeouts, RedisClient } from '@evergreen/platform';
import type pg from 'pg';
import { publicReason } from '@evergreen/errors';
import type { Outbox } from '@evergreen/outbox';
import { ApiMetrics } from './http/metrics.ts';
import { trimStrings } from './http/trim-strings.ts';
import { createHttpApi, DOCS_PATH, RETRY_AFTER_SECONDS, serveOpenApi, traceRequests } from '@evergreen/http-problem';
import { readUserRoutes } from './routes/read-user.ts';
import { userSchema } from './routes/user-schemas.ts';
import { userRoutes } from './routes/users.ts';
import { IdempotencyStore, DEFAULT_IDEMPOTENCY_TTL_HOURS } from './idempotency/store.ts';
import { startApiRetention, type ApiRetentionOptions } from './retention.ts';

export interface AppOptions {
  pool: pg.Pool;
  outbox: Outbox;
  /** The read model the consumers keep; GET /users/:id reads it. */
  redis: RedisClient;
  /** How long a read with ?minVersion waits for the cache (EVERGREEN_READ_YOUR_WRITES_TIMEOUT_MS). */
  readYourWritesTimeoutMs: number;
  /** How long Idempotency-Key answers and deletion records are kept, and how often the API sweeps them. */
  retention?: ApiRetentionOptions;
  /** Off when not given (tests); server.ts passes the process's pino logger. */
  logger?: FastifyBaseLogger;
  metrics?: ApiMetrics;
  /** How long a client may take to send its request, or leave its connection idle (DEFAULT_HTTP_SERVER_TIMEOUTS unless given). */
  serverTimeouts?: Partial<HttpServerTimeouts>;
}

/** Bodies are a few short fields; anything near this is not a user. */
export const BODY_LIMIT_BYTES = 16 * 1024;

/** The API without a listening socket: tests call inject(), server.ts calls listen(). */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { pool, redis, logger } = options;
  const metrics = options.metrics ?? new ApiMetrics();
  const app = createHttpApi({ logger, bodyLimit: BODY_LIMIT_BYTES, serverTimeouts: options.serverTimeouts, notFoundHint: `see ${DOCS_PATH}` });
  traceRequests(app);
  app.addSchema(userSchema);
  await serveOpenApi(app, {
    title: 'Evergreen registration API',
    version: '1.0.0',
    description: 'Registers and changes users; every change and its event commit in one transaction. Reads come from the cache the consumers keep, with read-your-writes through ?minVersion. Errors are RFC 9457 problem details.',
  });

  app.addHook('preValidation', async (request) => {
    request.body = trimStrings(request.body);
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, not the URL: one series per route, however many users there are.
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) };
    metrics.requests.inc(labels);
    metrics.requestSeconds.observe(labels, reply.elapsedTime / 1000);
  });

  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/ready', { schema: { hide: true } }, async (request, reply) => {
    const checks = await Promise.allSettled([pool.query('SELECT 1'), redis.ping()]);
    const reasons = (['postgres', 'redis'] as const).flatMap((dependency, index) => {
      const check = checks[index];
      if (check?.status !== 'rejected') return [];
      // The error names hosts and ports; the probe's body says only which dependency and its state.
      request.log.warn({ err: check.reason, dependency }, 'not ready');
      return [publicReason(dependency, check.reason)];
    });
    if (reasons.length > 0) return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send({ status: 'not ready', reasons });
    return { status: 'ready' };
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  const keys = new IdempotencyStore(pool, options.retention?.idempotencyTtlHours ?? DEFAULT_IDEMPOTENCY_TTL_HOURS);
  const retention = startApiRetention({ pool, keys, registry: metrics.registry, logger: app.log, retention: options.retention });
  app.addHook('onClose', async () => retention.stop());
  await app.register(userRoutes, { pool, outbox: options.outbox, metrics, keys });
  await app.register(readUserRoutes, { pool, redis, readYourWritesTimeoutMs: options.readYourWritesTimeoutMs });
  return app;
}
