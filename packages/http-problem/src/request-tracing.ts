import type { FastifyInstance, FastifyRequest } from 'fastify';
import { startServerRequest, tracingEnabled, withContext, type ServerRequestTrace } from '@evergreen/platform';

/** Probes and scrapes: polled every few seconds, each one a trace would bury the requests that matter. */
const UNTRACED_ROUTES = new Set(['/health', '/ready', '/metrics']);

interface RequestTracing {
  trace: ServerRequestTrace;
  error?: unknown;
}

const requests = new WeakMap<FastifyRequest, RequestTracing>();

function tracingOf(request: FastifyRequest): RequestTracing {
  let tracing = requests.get(request);
  if (tracing === undefined) {
    tracing = {
      trace: startServerRequest({
        traceparent: request.headers.traceparent,
        method: request.method,
        path: request.url.split('?')[0] ?? request.url,
        route: request.routeOptions.url,
        serverAddress: request.hostname,
        serverPort: request.port ?? undefined,
        clientAddress: request.ip,
        userAgent: request.headers['user-agent'],
      }),
    };
    requests.set(request, tracing);
  }
  return tracing;
}

/**
 * A SERVER span per request (docs/tracing.md), from routing to the answer, when tracing is on.
 * Register before the routes. A route runs its traced work with runTraced.
 */
export function traceRequests(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (tracingEnabled() && !UNTRACED_ROUTES.has(request.routeOptions.url ?? '')) tracingOf(request);
  });
  app.addHook('onError', async (request, _reply, error) => {
    const tracing = requests.get(request);
    if (tracing) tracing.error = error;
  });
  app.addHook('onResponse', async (request, reply) => {
    const tracing = requests.get(request);
    tracing?.trace.end(reply.statusCode, tracing.error);
  });
}

/**
 * Runs a route's work in the request's trace context, so its transaction and outbox rows join the
 * request's trace. With tracing off the context is still set: the client's traceparent, or a new
 * trace id, is what the outbox rows carry (docs/tracing.md).
 */
export function runTraced<T>(request: FastifyRequest, work: () => T): T {
  return withContext(tracingOf(request).trace.context, work);
}
