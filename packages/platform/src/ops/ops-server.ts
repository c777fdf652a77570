import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { applyIdleTimeout, nodeServerOptions, type HttpServerTimeouts } from '../http/server-timeouts.ts';
import type { Logger } from '../logger/logger.ts';

export interface OpsServerOptions {
  host: string;
  port: number;
  logger: Logger;
  /** Prometheus metrics served at /metrics. */
  registry: Registry;
  /**
   * Resolves to a reason when the process should not get traffic or work yet; undefined when ready.
   * The reason is the body's: say which dependency and its state ("postgres: unavailable",
   * @evergreen/errors' publicReason), never an error's own text, which goes to the log. A check that
   * throws is logged and answered "readiness check failed".
   */
  notReadyBecause(): Promise<string | undefined>;
  /**
   * A reason when the process can no longer do its work and must be restarted (liveness fails:
   * /health answers 503); undefined while it is alive. Without it, /health answers 200 while the
   * process answers at all. Public, as notReadyBecause's.
   */
  notLiveBecause?(): string | undefined;
  /** Extra fields for /health, e.g. counters; public, as notReadyBecause's reason. */
  details?(): Record<string, unknown>;
  /** How long a client may take (DEFAULT_HTTP_SERVER_TIMEOUTS unless given): no prober holds a socket indefinitely. */
  timeouts?: Partial<HttpServerTimeouts>;
}

/** /ready's reason when the check itself threw: its message may name hosts or hold SQL, so it is only logged. */
export const READINESS_CHECK_FAILED = 'readiness check failed';

export interface OpsServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The operational endpoints of a worker process: /health (liveness: the process answers and can still work),
 * /ready (readiness: its dependencies answer) and /metrics (Prometheus text format).
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const json = (status: number, body: unknown) => ({ status, type: 'application/json', body: JSON.stringify(body) });
  const server: Server = createServer(nodeServerOptions(options.timeouts), (request, response) => {
    const route = async () => {
      switch (request.url) {
        case '/health': {
          const dead = options.notLiveBecause?.();
          if (dead !== undefined) return json(503, { status: 'not live', reason: dead, ...options.details?.() });
          return json(200, { status: 'ok', ...options.details?.() });
        }
        case '/ready': {
          const reason = await options.notReadyBecause().catch((error: unknown) => {
            options.logger.warn({ err: error }, 'readiness check failed');
            return READINESS_CHECK_FAILED;
          });
          return reason === undefined ? json(200, { status: 'ready' }) : json(503, { status: 'not ready', reason });
        }
        case '/metrics':
          return { status: 200, type: options.registry.contentType, body: await options.registry.metrics() };
        default:
          return json(404, { status: 'not found' });
      }
    };
    route().then(
      ({ status, type, body }) => response.writeHead(status, { 'content-type': type }).end(body),
      (error: unknown) => {
        options.logger.error({ err: error, url: request.url }, 'ops endpoint failed');
        response.writeHead(500).end();
      },
    );
  });
  applyIdleTimeout(server, options.timeouts);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  options.logger.info({ host: options.host, port }, 'ops endpoints listening (/health, /ready, /metrics)');
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
