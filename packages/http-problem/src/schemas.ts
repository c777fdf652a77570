import type { RouteOptions } from 'fastify';
import { PROBLEM_CONTENT_TYPE } from '@evergreen/errors';
import { DEPENDENCY_NAMES, type Dependency } from './dependency.ts';
import { explainPattern } from './problem.ts';

// JSON Schemas every API shares: Fastify validates requests with them and serialises answers with
// them, and @fastify/swagger puts them in each API's OpenAPI document.

/** The problem details every error is (RFC 9457), referred to as `Problem#`; createHttpApi adds it. */
export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details (application/problem+json).',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', format: 'uri', description: 'Stable identifier of the kind of problem.' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      description: 'For validation problems: every offending field, by its path.',
      items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
    dependency: { type: 'string', enum: Object.keys(DEPENDENCY_NAMES) as Dependency[], description: 'For dependency-unavailable (503): the dependency that is down or too slow.' },
  },
} as const;

/** A documented answer that is a problem: its description, and the Problem schema under application/problem+json. */
export interface ProblemResponse {
  description: string;
  content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: 'Problem#' } } };
}

/** What these statuses mean on any route; a route's own descriptions (404: which thing) win. */
const COMMON_MEANINGS: Record<number, string> = {
  400: 'Invalid request: malformed JSON or URL, or fields, parameters or headers that break the schema (each named in `errors`).',
  413: 'The body is larger than this API takes.',
  414: 'A path parameter is longer than this API reads (100 characters).',
  415: 'The body is not application/json.',
  500: 'A fault of ours; nothing was written.',
  503: 'A dependency (named in `dependency`) is down or too slow; retry after Retry-After seconds. A write may or may not have been applied.',
};

/** The problem answers a route documents: `statuses`, each described as `meanings` (an API's own words: 404, which thing) or as what the status means on any route. */
export function problemResponses(meanings: Readonly<Record<number, string>>, ...statuses: number[]): Record<number, ProblemResponse> {
  return Object.fromEntries(
    [...new Set(statuses)]
      .sort((a, b) => a - b)
      .map((status) => [status, { description: meanings[status] ?? COMMON_MEANINGS[status] ?? 'A problem.', content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: 'Problem#' } } } }]),
  );
}

// The methods whose bodies Fastify reads (and so may refuse, 413 and 415), whatever the route does with them.
const METHODS_WITH_BODIES = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * An onRoute hook that documents, on every route with a schema, the problems the foundation
 * answers whatever the route does: 400 (a malformed URL or body), 413 and 415 where a body is
 * read, 414 where a path parameter can be too long, 500, and 503 for a dependency away. A route's
 * own description of a status wins. So the document lists every status a client can get.
 */
export function documentFrameworkAnswers(route: RouteOptions): void {
  const schema = route.schema;
  if (schema === undefined || schema.hide === true) return;
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const statuses = [400, 500, 503, ...(methods.some((method) => METHODS_WITH_BODIES.has(method)) ? [413, 415] : []), ...(route.url.includes('/:') ? [414] : [])];
  schema.response = { ...problemResponses({}, ...statuses), ...(schema.response as Record<number, unknown> | undefined) };
}

/**
 * A UUID as PostgreSQL's uuid type reads it and as the ids we hand out are written: 32 hex digits
 * in the 8-4-4-4-12 groups, either case. Not the `uuid` format: ajv-formats also takes a
 * `urn:uuid:` prefix, which PostgreSQL refuses (a 500 where a 400 belongs), and a format beside the
 * pattern would only name each bad id twice.
 */
export const UUID_PATTERN = explainPattern('^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', 'must be a UUID such as 4b1f6a52-3c1e-4f7a-9d2b-1e2f3a4b5c6d');

export const uuidSchema = { type: 'string', pattern: UUID_PATTERN, description: 'A UUID.' } as const;

/** The `{ id }` path parameter of a route on one thing. Read it through canonicalUuid. */
export const uuidIdParams = { type: 'object', required: ['id'], properties: { id: uuidSchema } } as const;

/** A UUID as we store and hand it out (lower case), so that one id is one cache key and one row. */
export const canonicalUuid = (id: string): string => id.toLowerCase();

/**
 * Text PostgreSQL can store as it was sent: no NUL (text and jsonb refuse it) and no lone UTF-16
 * surrogate (jsonb refuses one; text would store U+FFFD in its place). Every free-text field of a
 * request that reaches PostgreSQL carries this pattern, or a stricter one.
 */
export const STORABLE_TEXT = explainPattern('^[^\\u0000\\uD800-\\uDFFF]*$', 'must not contain NUL characters or invalid Unicode (lone surrogates)');
