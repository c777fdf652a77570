/**
 * RFC 9457 problem details: the body of every error an Evergreen HTTP endpoint answers, served as
 * application/problem+json. Here rather than in @evergreen/http-problem because the workers' plain
 * node:http ops servers (@evergreen/platform, below http-problem) answer them too.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** For validation problems: every offending field, by its path. */
  errors?: Array<{ field: string; message: string }>;
  /** For dependency-unavailable: which one (postgres, redis, registry). */
  dependency?: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const PROBLEM_BASE = 'https://evergreen.dev/problems/';

export function problem(status: number, slug: string, title: string, detail: string, errors?: Problem['errors']): Problem {
  return { type: `${PROBLEM_BASE}${slug}`, title, status, detail, ...(errors ? { errors } : {}) };
}

/**
 * The answer to a request no route takes: 405 when the path is served under other methods (the
 * caller lists them in Allow, RFC 9110 §15.5.6), 404 when it is not served at all.
 */
export function noRouteProblem(method: string, path: string, allowed: readonly string[], hint?: string): Problem {
  if (allowed.length > 0) return problem(405, 'method-not-allowed', 'Method not allowed', `${method} is not allowed on ${path}; it answers ${allowed.join(', ')}`);
  return problem(404, 'route-not-found', 'No such route', `${method} ${path} is not a route of this service${hint ? `; ${hint}` : ''}`);
}
