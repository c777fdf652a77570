import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Outbox } from '@evergreen/outbox';
import { errorHandler } from './problem.ts';
import { userRoutes } from './routes/users.ts';

export interface AppOptions {
  pool: pg.Pool;
  outbox: Outbox;
  /** Off when not given (tests); server.ts passes the process's pino logger. */
  logger?: FastifyBaseLogger;
}

/** The API without a listening socket: tests call inject(), server.ts calls listen(). */
export async function buildApp({ pool, outbox, logger }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    bodyLimit: 16 * 1024,
    // Reject unknown fields instead of silently dropping them, and never coerce types.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
  });
  app.setErrorHandler(errorHandler);

  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_request, reply) => {
    try {
      await pool.query('SELECT 1');
      return { status: 'ready' };
    } catch (error) {
      return reply.code(503).send({ status: 'not ready', reason: `postgres: ${(error as Error).message}` });
    }
  });
  await app.register(userRoutes, { pool, outbox });
  return app;
}
