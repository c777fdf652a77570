import type { Operation, Schema } from './openapi.ts';
import { schemaErrors } from './validation.ts';

/** An answer as the oracle reads it. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/** What a request was, once sent: its method and path, and the operation of the document it reached, if any. */
export interface Sent {
  method: string;
  /** The path as sent, percent-encoded, without the query. */
  path: string;
  operation: Operation | undefined;
}

export type ViolationKind = 'server-error' | 'undocumented-status' | 'schema-mismatch' | 'not-problem-json' | 'wrong-allow' | 'partial-write';

export interface Finding {
  kind: ViolationKind;
  detail: string;
}

const PROBLEM_JSON = 'application/problem+json';

const mediaTypeOf = (answer: Answer): string => String(answer.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

function parsed(body: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * What is wrong with an answer, by the document: a 5xx other than 503 dependency-unavailable; a
 * status the operation does not document; a body that breaks the documented schema of its status
 * and media type; an error that is not problem+json, or whose `status` is not the answer's; a 405
 * whose Allow is not what the document lists for the path. Requests no operation takes must get
 * 404 or 405 (or a 4xx for what is malformed before routing) as a problem.
 */
export function judge(sent: Sent, answer: Answer, documentedMethods: (path: string) => string[], problemSchema: Schema): Finding[] {
  const findings: Finding[] = [];
  const body = parsed(answer.body);
  const problemBody = body.ok ? (body.value as { type?: unknown; status?: unknown }) : undefined;

  if (answer.status >= 500 && !(answer.status === 503 && problemBody?.type === 'https://evergreen.dev/problems/dependency-unavailable')) {
    findings.push({ kind: 'server-error', detail: `${answer.status}: ${answer.body.slice(0, 300)}` });
  }
  if (answer.status >= 400) {
    if (mediaTypeOf(answer) !== PROBLEM_JSON) findings.push({ kind: 'not-problem-json', detail: `${answer.status} as ${String(answer.headers['content-type'])}` });
    else if (sent.method !== 'HEAD') {
      const errors = body.ok ? schemaErrors(problemSchema, body.value) : 'the body is not JSON';
      if (errors !== undefined) findings.push({ kind: 'schema-mismatch', detail: `${answer.status} problem: ${errors}` });
      else if (problemBody?.status !== answer.status) findings.push({ kind: 'schema-mismatch', detail: `the problem says status ${String(problemBody?.status)}, the answer is ${answer.status}` });
    }
  }
  if (answer.status === 405) {
    const expected = documentedMethods(sent.path).join(', ');
    if (String(answer.headers.allow ?? '') !== expected) findings.push({ kind: 'wrong-allow', detail: `Allow: ${String(answer.headers.allow)}, the document lists ${expected || 'nothing'} for ${sent.path}` });
  }

  if (sent.operation === undefined) {
    if (![400, 404, 405, 413, 415].includes(answer.status)) findings.push({ kind: 'undocumented-status', detail: `${answer.status} for a request no route takes` });
    return findings;
  }
  const documented = sent.operation.answers.get(answer.status);
  if (documented === undefined) {
    findings.push({ kind: 'undocumented-status', detail: `${answer.status} is not among ${[...sent.operation.answers.keys()].join(', ')}: ${answer.body.slice(0, 200)}` });
    return findings;
  }
  const mediaTypes = Object.keys(documented.content);
  if (mediaTypes.length === 0) {
    if (answer.body.length > 0) findings.push({ kind: 'schema-mismatch', detail: `${answer.status} is documented without a body, and has one` });
    return findings;
  }
  const schema = documented.content[mediaTypeOf(answer)];
  if (schema === undefined) {
    findings.push({ kind: 'schema-mismatch', detail: `${answer.status} as ${String(answer.headers['content-type'])}, documented as ${mediaTypes.join(', ')}` });
    return findings;
  }
  if (sent.method === 'HEAD') return findings;
  const errors = body.ok ? schemaErrors(schema, body.value) : 'the body is not JSON';
  if (errors !== undefined) findings.push({ kind: 'schema-mismatch', detail: `${answer.status}: ${errors}` });
  return findings;
}
