import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import { AllowedMethods, errorHandler, notFoundHandler, problem, RETRY_AFTER_SECONDS, runTraced, sendProblem, traceRequests } from '@evergreen/http-problem';
import type { Outbox } from '@evergreen/outbox';
import { fastifyServerOptions, type HttpServerTimeouts } from '@evergreen/platform';
import { cancelOrder, OrderAlreadyCancelledError, OrderNotFoundError, placeOrder, readOrder, UnknownUserError, type OrderInput } from './orders/orders.ts';

export interface AppOptions {
  /** The service's own database. */
  pool: pg.Pool;
  outbox: Outbox;
  /** Why the service must not take orders yet (the user replica still bootstrapping, its consumer not ready), or undefined. */
  notReadyBecause(): Promise<string | undefined>;
  /** Why the process must be restarted (its consumer crashed for good), or undefined. */
  notLiveBecause(): string | undefined;
  /** Served at /metrics: the replica consumer's metrics and the process's. */
  registry: Registry;
  logger?: FastifyBaseLogger;
  /** How long a client may take to send its request, or leave its connection idle (DEFAULT_HTTP_SERVER_TIMEOUTS unless given). */
  serverTimeouts?: Partial<HttpServerTimeouts>;
}

const UUID = { type: 'string', format: 'uuid' } as const;

const orderItemSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['sku', 'quantity', 'unitPriceCents'],
  properties: {
    sku: { type: 'string', minLength: 1, maxLength: 64 },
    quantity: { type: 'integer', minimum: 1, maximum: 10_000 },
    unitPriceCents: { type: 'integer', minimum: 0, maximum: 100_000_000 },
  },
} as const;

const placeOrderSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['userId', 'items', 'currency'],
  properties: {
    userId: UUID,
    items: { type: 'array', minItems: 1, maxItems: 100, items: orderItemSchema },
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
  },
} as const;

const orderIdParams = { type: 'object', required: ['id'], properties: { id: UUID } } as const;

/** The order service's HTTP API without a listening socket: tests call inject(), main.ts listen(). */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { pool, outbox } = options;
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: 64 * 1024,
    // A client that connects and says nothing, or trickles its body, is answered 408 and cut off.
    ...fastifyServerOptions(options.serverTimeouts),
    // Unknown fields are refused, and "3" is not 3.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
  });
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(errorHandler);
  const allowedMethods = new AllowedMethods();
  app.addHook('onRoute', allowedMethods.record);
  app.setNotFoundHandler(notFoundHandler(allowedMethods));
  traceRequests(app);

  app.get('/health', async (_request, reply) => {
    const dead = options.notLiveBecause();
    return dead === undefined ? { status: 'ok' } : reply.code(503).send({ status: 'not live', reason: dead });
  });
  app.get('/ready', async (_request, reply) => {
    const reason = await options.notReadyBecause();
    if (reason !== undefined) return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send({ status: 'not ready', reason });
    return { status: 'ready' };
  });
  app.get('/metrics', async (_request, reply) => reply.type(options.registry.contentType).send(await options.registry.metrics()));

  app.post<{ Body: OrderInput }>('/orders', { schema: { body: placeOrderSchema } }, async (request, reply) => {
    try {
      const order = await runTraced(request, () => placeOrder(pool, outbox, request.body));
      return reply.code(201).header('location', `/orders/${order.id}`).send(order);
    } catch (error) {
      if (!(error instanceof UnknownUserError)) throw error;
      // Checked against this service's replica of the users, never by asking the registration API.
      return sendProblem(
        reply,
        problem(422, 'unknown-user', 'Unknown user', `${error.message}: it was never registered, or it was deleted`, [{ field: 'userId', message: 'is not a known user' }]),
      );
    }
  });

  app.get<{ Params: { id: string } }>('/orders/:id', { schema: { params: orderIdParams } }, async (request, reply) => {
    const order = await readOrder(pool, request.params.id);
    return order ?? sendProblem(reply, problem(404, 'order-not-found', 'No such order', `no order ${request.params.id}`));
  });

  app.post<{ Params: { id: string } }>('/orders/:id/cancel', { schema: { params: orderIdParams } }, async (request, reply) => {
    try {
      return await runTraced(request, () => cancelOrder(pool, outbox, request.params.id));
    } catch (error) {
      if (error instanceof OrderNotFoundError) return sendProblem(reply, problem(404, 'order-not-found', 'No such order', error.message));
      if (error instanceof OrderAlreadyCancelledError) return sendProblem(reply, problem(409, 'order-cancelled', 'Order already cancelled', error.message));
      throw error;
    }
  });
  return app;
}
