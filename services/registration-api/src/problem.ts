import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** RFC 9457 problem details: every error this API returns has this shape. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}

const PROBLEM_BASE = 'https://evergreen.dev/problems/';

export function problem(status: number, slug: string, title: string, detail: string, errors?: Problem['errors']): Problem {
  return { type: `${PROBLEM_BASE}${slug}`, title, status, detail, ...(errors ? { errors } : {}) };
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply.code(body.status).type('application/problem+json').send(body);
}

interface AjvIssue {
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Turns Fastify's validation failure into one entry per offending field, named by its path. */
function fieldErrors(issues: AjvIssue[], context: string | undefined): NonNullable<Problem['errors']> {
  return issues.map((issue) => {
    const path = issue.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const missing = issue.params.missingProperty as string | undefined;
    const extra = issue.params.additionalProperty as string | undefined;
    const field = [path, missing ?? extra].filter(Boolean).join('.') || (context ?? 'body');
    const message = extra ? 'is not an allowed field' : missing ? 'is required' : (issue.message ?? 'is invalid');
    return { field, message };
  });
}

/** The API's one error handler: validation → 400 naming the fields, client errors as they are, anything else → 500 without internals. */
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
    return sendProblem(reply, problem(status, error.code?.toLowerCase() ?? 'client-error', 'Bad request', error.message));
  }
  request.log.error({ err: error }, 'request failed');
  return sendProblem(reply, problem(500, 'internal', 'Internal error', 'the request could not be completed; nothing was written'));
}
