import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { noRouteProblem, problem, PROBLEM_CONTENT_TYPE, type Problem } from '@evergreen/errors';
import type { AllowedMethods } from './allowed-methods.ts';
import { DEPENDENCY_NAMES, RETRY_AFTER_SECONDS, unavailableDependency } from './dependency.ts';

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

interface AjvIssue {
  instancePath: string;
  keyword?: string;
  message?: string;
  params: Record<string, unknown>;
}

/** What a pattern means, said in words instead of as the regular expression. */
const PATTERN_MEANINGS = new Map<string, string>();

/** Registers the words a validation problem uses for a schema's pattern. */
export function explainPattern(pattern: string, meaning: string): string {
  PATTERN_MEANINGS.set(pattern, meaning);
  return pattern;
}

/** Turns Fastify's validation failure into one entry per offending field, named by its path. */
function fieldErrors(issues: AjvIssue[], context: string | undefined): NonNullable<Problem['errors']> {
  return issues.map((issue) => {
    const path = issue.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const missing = issue.params.missingProperty as string | undefined;
    const extra = issue.params.additionalProperty as string | undefined;
    const field = [path, missing ?? extra].filter(Boolean).join('.') || (context ?? 'body');
    const pattern = issue.keyword === 'pattern' ? PATTERN_MEANINGS.get(String(issue.params.pattern)) : undefined;
    const message = extra ? 'is not an allowed field' : missing ? 'is required' : (pattern ?? issue.message ?? 'is invalid');
    return { field, message };
  });
}

// Fastify's own client errors, under stable problem types (its codes are its implementation).
const CLIENT_ERRORS: Record<string, { slug: string; title: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { slug: 'malformed-json', title: 'Malformed JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { slug: 'malformed-json', title: 'Malformed JSON' },
  FST_ERR_CTP_BODY_TOO_LARGE: { slug: 'payload-too-large', title: 'Payload too large' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { slug: 'bad-request', title: 'Bad request' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { slug: 'unsupported-media-type', title: 'Unsupported media type' },
  // A path with broken percent-encoding, refused by the router before any route runs.
  FST_ERR_BAD_URL: { slug: 'malformed-url', title: 'Malformed URL' },
  // A path parameter longer than the router reads (maxParamLength).
  FST_ERR_MAX_PARAM_LENGTH: { slug: 'uri-too-long', title: 'URI too long' },
};

/**
 * Requests no route takes answer a problem too, never Fastify's own shape: 405 with Allow when
 * the path exists under other methods, 404 when it does not. `hint` ends the 404's detail ("see /docs").
 */
export function notFoundHandler(allowedMethods: AllowedMethods, hint?: string) {
  return (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const path = request.url.split('?')[0] ?? request.url;
    const allowed = allowedMethods.for(path);
    if (allowed.length > 0) reply.header('allow', allowed.join(', '));
    return sendProblem(reply, noRouteProblem(request.method, path, allowed, hint));
  };
}

/**
 * The API's one error handler: validation → 400 naming the fields, client errors as they are, a
 * dependency that is down or too slow → 503 naming it, with Retry-After, anything else → 500
 * without internals.
 */
export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error.validation) {
    const errors = fieldErrors(error.validation as AjvIssue[], error.validationContext);
    return sendProblem(
      reply,
      problem(400, 'validation', 'Invalid request', errors.map((entry) => `${entry.field} ${entry.message}`).join('; '), errors),
    );
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const known = error.code ? CLIENT_ERRORS[error.code] : undefined;
    return sendProblem(reply, problem(status, known?.slug ?? 'bad-request', known?.title ?? 'Bad request', error.message));
  }
  const dependency = unavailableDependency(error);
  if (dependency) {
    request.log.warn({ err: error, dependency }, `${DEPENDENCY_NAMES[dependency]} unavailable; answered 503`);
    return sendProblem(reply.header('retry-after', String(RETRY_AFTER_SECONDS)), {
      ...problem(
        503,
        'dependency-unavailable',
        'Dependency unavailable',
        `${DEPENDENCY_NAMES[dependency]} is unavailable or too slow right now; retry in ${RETRY_AFTER_SECONDS} s. A write may or may not have been applied: read it back, or retry it with the same Idempotency-Key`,
      ),
      dependency,
    });
  }
  request.log.error({ err: error }, 'request failed');
  return sendProblem(reply, problem(500, 'internal', 'Internal error', 'the request could not be completed; nothing was written'));
}
