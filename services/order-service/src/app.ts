import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import { createHttpApi, DOCS_PATH, problem, RETRY_AFTER_SECONDS, runTraced, sendProblem, serveOpenApi, traceRequests, uuidIdParams } from '@evergreen/http-problem';
import type { Outbox } from '@evergreen/outbox';
import type { HttpServerTimeouts } from '@evergreen/platform';
import { orderProblems, orderSchema, placeOrderSchema } from './http/order-schemas.ts';
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

/** Orders are up to 100 short items; anything near this is not an order. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** The order service's HTTP API without a listening socket: tests call inject(), main.ts listen(). */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { pool, outbox } = options;
  const app = createHttpApi({ logger: options.logger, bodyLimit: BODY_LIMIT_BYTES, serverTimeouts: options.serverTimeouts, notFoundHint: `see ${DOCS_PATH}` });
  traceRequests(app);
  app.addSchema(orderSchema);
  await serveOpenApi(app, {
    title: 'Evergreen order service',
    version: '1.0.0',
    description:
      "Takes orders for the users of its own replica of the users (never by asking the registration API); each order and its event commit in one transaction of the service's own database. Errors are RFC 9457 problem details.",
  });

  app.get('/health', { schema: { hide: true } }, async (_request, reply) => {
    const dead = options.notLiveBecause();
    return dead === undefined ? { status: 'ok' } : reply.code(503).send({ status: 'not live', reason: dead });
  });
  app.get('/ready', { schema: { hide: true } }, async (_request, reply) => {
    const reason = await options.notReadyBecause();
    if (reason !== undefined) return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send({ status: 'not ready', reason });
    return { status: 'ready' };
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => reply.type(options.registry.contentType).send(await options.registry.metrics()));

  app.post<{ Body: OrderInput }>(
    '/orders',
    {
      schema: {
        summary: 'Place an order',
        description: "The user is checked against the service's replica of the users; the order and its OrderPlaced commit in one transaction.",
        body: placeOrderSchema,
        response: { 201: { description: 'Placed; Location is its URL.', $ref: 'Order#' }, ...orderProblems(400, 413, 415, 422) },
      },
    },
    async (request, reply) => {
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
    },
  );

  app.get<{ Params: { id: string } }>(
    '/orders/:id',
    { schema: { summary: 'Read an order', params: uuidIdParams, response: { 200: { description: 'The order, from the database.', $ref: 'Order#' }, ...orderProblems(400, 404) } } },
    async (request, reply) => {
      const order = await readOrder(pool, request.params.id);
      return order ?? sendProblem(reply, problem(404, 'order-not-found', 'No such order', `no order ${request.params.id}`));
    },
  );

  app.post<{ Params: { id: string } }>(
    '/orders/:id/cancel',
    {
      schema: {
        summary: 'Cancel an order',
        description: 'Cancels it at version 2, with its OrderCancelled, in one transaction.',
        params: uuidIdParams,
        response: { 200: { description: 'Cancelled.', $ref: 'Order#' }, ...orderProblems(400, 404, 409) },
      },
    },
    async (request, reply) => {
      try {
        return await runTraced(request, () => cancelOrder(pool, outbox, request.params.id));
      } catch (error) {
        if (error instanceof OrderNotFoundError) return sendProblem(reply, problem(404, 'order-not-found', 'No such order', error.message));
        if (error instanceof OrderAlreadyCancelledError) return sendProblem(reply, problem(409, 'order-cancelled', 'Order already cancelled', error.message));
        throw error;
      }
    },
  );
  return app;
}
