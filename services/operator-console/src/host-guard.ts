import type { FastifyReply, FastifyRequest } from 'fastify';
import { problem, sendProblem } from '@evergreen/http-problem';

/** The variable that lists the host names the console answers to. */
export const ALLOWED_HOSTS_VARIABLE = 'EVERGREEN_CONSOLE_ALLOWED_HOSTS';

/** What a browser on the console's own machine sends as Host. */
export const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', 'localhost', '::1'];

// A wildcard bind names no host a client addresses: it cannot stand in the allow-list.
const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '']);

/**
 * The host name of a Host header or a bind address, as the allow-list holds it: without its port,
 * an IPv6 address without brackets, lower-case, without a fully qualified name's final dot.
 */
export function hostNameOf(host: string): string {
  const trimmed = host.trim().toLowerCase();
  const name = trimmed.startsWith('[') ? trimmed.slice(1, trimmed.indexOf(']')) : trimmed.split(':').length > 2 ? trimmed : (trimmed.split(':')[0] ?? '');
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/**
 * The host names the console answers to: those EVERGREEN_CONSOLE_ALLOWED_HOSTS lists, or by default
 * the loopback names and the host it is bound to (unless that is a wildcard such as 0.0.0.0, which
 * no client puts in a Host header; a console bound so answers loopback only until told its names).
 */
export function allowedHosts(bindHost: string, listed: readonly string[] | undefined): string[] {
  if (listed !== undefined) return [...new Set(listed.map(hostNameOf))];
  const bound = hostNameOf(bindHost);
  return [...new Set([...LOOPBACK_HOSTS, ...(WILDCARD_ADDRESSES.has(bound) ? [] : [bound])])];
}

/** The part of a logger the guard writes to. */
export interface HostRefusalLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * An onRequest hook, on every route whatever address the console listens on: refuses (421) a
 * request whose Host is not an allowed name. A foreign site can point its own name at the console's
 * address (DNS rebinding) and read whatever the page reads, dead letters with their payloads
 * included; it cannot make the browser send a Host header other than its own name.
 */
export function hostGuard(allowed: readonly string[], logger: HostRefusalLog) {
  const names = new Set(allowed.map(hostNameOf));
  // Returning the reply is what stops Fastify: an async hook that only sends it lets the route run anyway.
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const host = request.headers.host ?? '';
    if (names.has(hostNameOf(host))) return undefined;
    // The allowed names go to the log, for the operator; a client learns only that its Host is not one.
    logger.warn({ who: { address: request.ip }, host, allowed: [...names], status: 421 }, 'request for a host name the console does not answer to');
    return sendProblem(reply, problem(421, 'misdirected-request', 'Misdirected request', `this console does not answer to Host ${host || '(none)'}; its names are set by ${ALLOWED_HOSTS_VARIABLE}`));
  };
}
