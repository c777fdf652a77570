import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { fastifyServerOptions, type HttpServerTimeouts } from '@evergreen/platform';
import { AllowedMethods } from './allowed-methods.ts';
import { errorHandler, notFoundHandler } from './problem.ts';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id.ts';
import { documentFrameworkAnswers, problemSchema } from './schemas.ts';

export interface HttpApiOptions {
  /** Off when not given (tests); a service passes its process's pino logger. */
  logger?: FastifyBaseLogger;
  /** The largest body taken, in bytes; larger is 413. */
  bodyLimit: number;
  /** How long a client may take to send its request, or leave its connection idle (DEFAULT_HTTP_SERVER_TIMEOUTS unless given). */
  serverTimeouts?: Partial<HttpServerTimeouts>;
  /**
   * Whether validation coerces types. Off by default: "3" is not 3. The console's query strings
   * carry numbers, so it keeps Fastify's own 'array'.
   */
  coerceTypes?: boolean | 'array';
  /** Ends the detail of a 404 for a path no route serves, e.g. "see /docs". */
  notFoundHint?: string;
}

/**
 * A Fastify instance on which every answer that is not a success is a problem (RFC 9457), whatever
 * refuses the request: validation, a body parser, the router (a broken percent-encoding), no route
 * (404), another method (405 with Allow) or a fault (500, or 503 naming a dependency). Every answer
 * carries the request's id in x-request-id. The Problem schema is added, for routes to refer to,
 * and every route's schema lists the problems the foundation itself may answer.
 * Register routes after this returns, so that each one's methods are known to the 405 answer.
 */
export function createHttpApi(options: HttpApiOptions): FastifyInstance {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: options.bodyLimit,
    // A client that connects and says nothing, or trickles its body, is answered 408 and cut off.
    ...fastifyServerOptions(options.serverTimeouts),
    genReqId: requestIdOf,
    // Unknown fields are refused, not silently dropped: a request does what it says, or nothing.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: options.coerceTypes ?? false, allErrors: true } },
    // Errors the router raises before any route (a badly percent-encoded path) get the problem shape
    // too; no hook runs for them, so the request id is set here.
    frameworkErrors: (error, request, reply) => errorHandler(error, request, reply.header(REQUEST_ID_HEADER, request.id)),
  });
  // JSON only: a text/plain body would otherwise reach validation as a string.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(errorHandler);
  const allowedMethods = new AllowedMethods();
  app.addHook('onRoute', allowedMethods.record);
  app.addHook('onRoute', documentFrameworkAnswers);
  app.setNotFoundHandler(notFoundHandler(allowedMethods, options.notFoundHint));
  app.addHook('onSend', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  app.addSchema(problemSchema);
  return app;
}
