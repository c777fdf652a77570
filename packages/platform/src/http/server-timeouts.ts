import type { Server, ServerOptions } from 'node:http';

/**
 * How long an HTTP server of ours gives a client, so that no client holds a socket indefinitely:
 * - headersTimeoutMs: to send its request's headers, from connecting (a client that connects and
 *   says nothing);
 * - requestTimeoutMs: to send the whole request, body included (a body trickled a byte at a time);
 *   past either, Node answers 408 and closes the connection;
 * - idleTimeoutMs: a socket with no traffic either way is closed; it also cuts a handler that runs
 *   longer without answering, so it must stay above the slowest route (a route's own bounds, the
 *   dependencies' timeouts, keep it far below);
 * - keepAliveTimeoutMs: how long a kept-alive connection may wait for its next request.
 */
export interface HttpServerTimeouts {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

/** Our requests are a few KiB, our routes answer within seconds (their dependencies' bounds). */
export const DEFAULT_HTTP_SERVER_TIMEOUTS: HttpServerTimeouts = { headersTimeoutMs: 10_000, requestTimeoutMs: 15_000, idleTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000 };

// Node checks the header and request timeouts of open connections only this often (its default is
// 30 s, which would let a slow client keep its socket up to 30 s past the bound).
const CHECK_INTERVAL_MS = 1_000;

function resolved(timeouts: Partial<HttpServerTimeouts>): HttpServerTimeouts {
  const all = { ...DEFAULT_HTTP_SERVER_TIMEOUTS, ...timeouts };
  // Node refuses a headers timeout longer than the request timeout.
  return { ...all, headersTimeoutMs: Math.min(all.headersTimeoutMs, all.requestTimeoutMs) };
}

/** Options for node:http's createServer; the idle timeout is applySocketTimeout's. */
export function nodeServerOptions(timeouts: Partial<HttpServerTimeouts> = {}): ServerOptions {
  const t = resolved(timeouts);
  return {
    headersTimeout: t.headersTimeoutMs,
    requestTimeout: t.requestTimeoutMs,
    keepAliveTimeout: t.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(CHECK_INTERVAL_MS, t.headersTimeoutMs),
  };
}

/** The idle bound of a node:http server (server.timeout), which createServer's options do not take. */
export function applyIdleTimeout(server: Server, timeouts: Partial<HttpServerTimeouts> = {}): void {
  server.setTimeout(resolved(timeouts).idleTimeoutMs);
}

/**
 * The same bounds as Fastify's options: its own (which it sets on the server after creating it, a
 * request timeout of 0, no bound, unless given) and node:http's, which it passes on.
 */
export function fastifyServerOptions(timeouts: Partial<HttpServerTimeouts> = {}): { connectionTimeout: number; keepAliveTimeout: number; requestTimeout: number; http: ServerOptions } {
  const t = resolved(timeouts);
  return { connectionTimeout: t.idleTimeoutMs, keepAliveTimeout: t.keepAliveTimeoutMs, requestTimeout: t.requestTimeoutMs, http: nodeServerOptions(t) };
}
