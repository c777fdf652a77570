import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { problem, sendProblem, type Problem } from '@evergreen/http-problem';

/** The part of a logger the guard writes to. */
export interface RefusalLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface ActionGuardOptions {
  /** EVERGREEN_CONSOLE_TOKEN: undefined leaves the console read-only. */
  token: string | undefined;
  /** Where each refusal is logged, like the actions taken (the console's logger). */
  logger: RefusalLog;
}

/** The variable that enables the console's actions. */
export const TOKEN_VARIABLE = 'EVERGREEN_CONSOLE_TOKEN';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Compares in constant time; hashing first makes the lengths equal without leaking them. */
export function tokenMatches(expected: string, given: string): boolean {
  return timingSafeEqual(digest(expected), digest(given));
}

/**
 * Why a request comes from another site, or undefined. Browsers send Sec-Fetch-Site on every
 * request and Origin on every cross-origin one and on every POST, and a page cannot forge either; a
 * client without them (curl, a script) is no browser a foreign page could drive.
 */
export function crossSiteBecause(request: Pick<FastifyRequest, 'headers' | 'protocol' | 'host'>): string | undefined {
  const fetchSite = request.headers['sec-fetch-site'];
  if (typeof fetchSite === 'string' && fetchSite !== 'same-origin' && fetchSite !== 'none') return `Sec-Fetch-Site is ${fetchSite}`;
  const origin = request.headers.origin;
  if (typeof origin === 'string' && origin !== `${request.protocol}://${request.host}`) return `Origin ${origin} is not this console's`;
  return undefined;
}

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/**
 * The onRequest hook in front of every action (restart, replay, verify, repair), run before the
 * body is read. Refuses, in this order: a cross-site request (403), any action while no token is
 * configured (403, saying how to enable them), a missing or wrong bearer token (401), a body that
 * is not application/json (415: a cross-site form can only send form or text bodies). The token
 * travels in a header the page sets, never a cookie, so a foreign page cannot make a browser send it.
 */
export function actionGuard(options: ActionGuardOptions) {
  // Each refusal returns the reply: an async hook that only sends it lets Fastify run the route anyway.
  const refuse = (request: FastifyRequest, reply: FastifyReply, body: Problem): FastifyReply => {
    options.logger.warn({ who: { address: request.ip }, action: { kind: `${request.method} ${request.url}` }, result: 'refused', status: body.status, reason: body.detail }, 'console action');
    return sendProblem(reply, body);
  };
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const crossSite = crossSiteBecause(request);
    if (crossSite !== undefined) {
      return refuse(request, reply, problem(403, 'cross-site-request', 'Cross-site request refused', `actions are taken only from the console's own page: ${crossSite}`));
    }
    if (options.token === undefined) {
      return refuse(request, reply, problem(403, 'actions-disabled', 'Actions are disabled', `this console is read-only; start it with ${TOKEN_VARIABLE}=<a long random secret> in its environment to enable restart, replay, park, verify and repair`));
    }
    const given = bearerOf(request);
    if (given === undefined || !tokenMatches(options.token, given)) {
      reply.header('www-authenticate', 'Bearer realm="evergreen-console"');
      return refuse(request, reply, problem(401, 'unauthorized', 'Token required', `actions need the header Authorization: Bearer <the console's ${TOKEN_VARIABLE}>${given === undefined ? '' : '; the token given is not it'}`));
    }
    const type = request.headers['content-type'];
    if (typeof type !== 'string' || !/^application\/json\s*(;|$)/i.test(type)) {
      return refuse(request, reply, problem(415, 'unsupported-media-type', 'Unsupported media type', `actions take an application/json body, got ${type ?? 'none'}`));
    }
    return undefined;
  };
}
