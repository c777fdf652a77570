import { PROBLEM_CONTENT_TYPE } from '@evergreen/errors';
import { DEPENDENCY_NAMES, type Dependency } from './dependency.ts';

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
  415: 'The body is not application/json.',
  500: 'A fault of ours; nothing was written.',
  503: 'A dependency (named in `dependency`) is down or too slow; retry after Retry-After seconds. A write may or may not have been applied.',
};

/**
 * The problem answers a route documents: `statuses`, each described as `meanings` (an API's own
 * words: 404, which thing) or as what the status means on any route. Every route that reaches a
 * dependency can answer 500 and 503, so those two are always listed.
 */
export function problemResponses(meanings: Readonly<Record<number, string>>, ...statuses: number[]): Record<number, ProblemResponse> {
  const documented = [...new Set([...statuses, 500, 503])].sort((a, b) => a - b);
  return Object.fromEntries(
    documented.map((status) => [
      status,
      { description: meanings[status] ?? COMMON_MEANINGS[status] ?? 'A problem.', content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: 'Problem#' } } } },
    ]),
  );
}
