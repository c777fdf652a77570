import fc from 'fast-check';
import type { Operation, Parameter } from './openapi.ts';
import { anyText, invalidValue, KnownValue, validValue, type ValueContext } from './values.ts';

/**
 * Requests generated from the document's operations, as templates: ids the API hands out during
 * the run (KnownValue) and the current ETag (CurrentETag) are filled in when each is sent.
 */

/** If-Match written from the ETag the API last answered for the request's id. */
export class CurrentETag {
  constructor(readonly form: 'strong' | 'weak' | 'bare' | 'in-a-list' | 'stale') {}
}

export type HeaderValue = string | CurrentETag;

/** A path parameter: text to percent-encode, a raw segment sent as it is (broken encodings), or an id the API handed out. */
export type PathValue = string | KnownValue | { raw: string };

export type Body = { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'raw'; text: string };

export interface RequestTemplate {
  /** What the generator meant: a request the document allows, one with a fault, or one no route takes. */
  intent: 'valid' | 'faulty' | 'no-route';
  method: string;
  /** The operation it aims at, when it aims at one; its path template otherwise built from `path`. */
  operation: Operation | undefined;
  pathParameters: Record<string, PathValue>;
  /** For requests no route takes: the path as sent. */
  path?: string;
  /** The query string as sent, without `?`; empty for none. */
  query: string;
  headers: Record<string, HeaderValue>;
  body: Body;
}

/** The pools of ids by parameter and field name: /users/{id} draws from what /users handed out. */
export function valueContextFor(operation: Operation, seededPools: readonly string[]): ValueContext {
  const collection = operation.pathTemplate.split('/')[1] ?? '';
  return { poolFor: (name) => (name === 'id' ? collection : seededPools.includes(name) ? name : undefined) };
}

const CONTENT_TYPES_ACCEPTED = ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/json;charset=UTF-8'];
const CONTENT_TYPES_REFUSED = [
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=fuzz',
  'application/xml',
  'application/problem+json',
  'application/merge-patch+json',
  'application/json; charset=iso-8859-1',
  'application/json; charset=utf-16',
  'application/jsonx',
  '*/*',
  'application/',
  '',
];

/** Header values HTTP can carry (visible Latin-1, space, tab), for headers that take none of them well. */
const headerText = fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.constant(0x09), fc.integer({ min: 0x80, max: 0xff })).map((code) => String.fromCharCode(code)), maxLength: 40 });

// A small set of keys, so that keys come back: replays of the same request, and reuse for another.
const IDEMPOTENCY_KEYS = Array.from({ length: 24 }, (_unused, index) => `fuzz-key-${index}`);

function validParameter(parameter: Parameter, context: ValueContext): fc.Arbitrary<unknown> {
  if (parameter.name === 'idempotency-key') {
    return fc.oneof(fc.constantFrom(...IDEMPOTENCY_KEYS), validValue(parameter.schema, context, parameter.name));
  }
  return validValue(parameter.schema, context, parameter.name);
}

/** A header or query value that is text, as the wire carries it; a generated non-string is written as JSON would. */
const asText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value) ?? '');

/** If-Match, for the methods that change what they address: absent, right, or wrong in any of its forms (RFC 9110 §13.1.1). */
const ifMatch: fc.Arbitrary<HeaderValue | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 6, arbitrary: fc.constantFrom<CurrentETag['form']>('strong', 'strong', 'strong', 'weak', 'bare', 'in-a-list', 'stale').map((form) => new CurrentETag(form)) },
  { weight: 2, arbitrary: fc.constantFrom('*', ' * ', '"1"', 'W/"1"', '"1", "2"', ',"1",', '"0"', '"999999999999999"', '"9999999999999999999"', '"01"', '"-1"', '""', 'W/""', '"a"', 'w/"1"', '"1', '1"', '* , "1"', '"1" "2"', '') },
  { weight: 1, arbitrary: headerText },
);

function encodeQuery(entries: Array<[string, string]>): string {
  return entries.map(([name, value]) => `${encodeURIComponent(name)}=${encodeText(value)}`).join('&');
}

/**
 * The path as the app's router sees it: parsed as inject() parses it (light-my-request: a path
 * starting with // stays a path), so dot segments are resolved, as any URL parser resolves them.
 */
export const normalizedPath = (path: string): string => new URL(path.startsWith('//') ? `http://localhost${path}` : path, 'http://localhost').pathname;

/** Percent-encodes any text, lone surrogates too (as the bytes of their WTF-8 form, which no decoder takes). */
export function encodeText(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return [...text]
      .map((character) => {
        const code = character.charCodeAt(0);
        if (character.length === 1 && code >= 0xd800 && code <= 0xdfff) {
          return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
        }
        return encodeURIComponent(character);
      })
      .join('');
  }
}

interface Parts {
  pathParameters: Record<string, PathValue>;
  query: Array<[string, string]>;
  headers: Record<string, HeaderValue>;
  body: Body;
}

/** Every part of a request the operation documents, valid. */
function validParts(operation: Operation, context: ValueContext): fc.Arbitrary<Parts> {
  const byLocation = (location: Parameter['in']) => operation.parameters.filter((parameter) => parameter.in === location);
  const optional = (parameter: Parameter, value: fc.Arbitrary<unknown>) => (parameter.required ? value : fc.option(value, { nil: undefined, freq: 2 }));
  const group = (location: Parameter['in']) =>
    fc.record(Object.fromEntries(byLocation(location).map((parameter) => [parameter.name, optional(parameter, validParameter(parameter, context))])));
  const changesWhatItAddresses = ['PATCH', 'PUT', 'DELETE'].includes(operation.method);
  return fc
    .record({
      path: group('path'),
      query: group('query'),
      headers: group('header'),
      ifMatch: changesWhatItAddresses ? ifMatch : fc.constant(undefined),
      body: operation.body === undefined ? fc.constant(undefined) : validValue(operation.body, context),
    })
    .map(({ path, query, headers, ifMatch: precondition, body }) => ({
      pathParameters: Object.fromEntries(Object.entries(path).map(([name, value]) => [name, value instanceof KnownValue ? value : asText(value)])) as Record<string, PathValue>,
      query: Object.entries(query).flatMap(([name, value]): Array<[string, string]> => (value === undefined ? [] : [[name, asText(value)]])),
      headers: {
        ...Object.fromEntries(Object.entries(headers).flatMap(([name, value]) => (value === undefined ? [] : [[name, asText(value)]]))),
        ...(precondition === undefined ? {} : { 'if-match': precondition }),
        ...(operation.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: operation.body === undefined ? { kind: 'none' } : { kind: 'json', value: body },
    }));
}

const asTemplate = (operation: Operation, intent: RequestTemplate['intent'], parts: Parts): RequestTemplate => ({
  intent,
  method: operation.method,
  operation,
  pathParameters: parts.pathParameters,
  query: encodeQuery(parts.query),
  headers: parts.headers,
  body: parts.body,
});

/** A request the operation's document allows. */
export function validRequest(operation: Operation, context: ValueContext): fc.Arbitrary<RequestTemplate> {
  return validParts(operation, context).map((parts) => asTemplate(operation, 'valid', parts));
}

const MALFORMED_JSON = ['{', '{"', '{"a":', '[1,]', "{'a':1}", 'nul', 'tru', '{"a":1}}', '{"a":1,"a":2', '\u0000', '\ufeff{}', '{"a":"\\x41"}', '{"a":"\\ud800"}', '{"a":"\\u0000"}', '{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}', '1e999', '"', '[]', '[{}]', 'null', '0', '""', ''];

/** One fault in an otherwise valid request: a path parameter, a query parameter, a header, the content type or the body. */
function faultyParts(operation: Operation, context: ValueContext): fc.Arbitrary<Parts> {
  const valid = validParts(operation, context);
  const faults: fc.Arbitrary<Parts>[] = [];
  for (const parameter of operation.parameters) {
    const bad = fc.oneof(invalidValue(parameter.schema, context), anyText(0, 40)).map(asText);
    if (parameter.in === 'path') {
      const segment: fc.Arbitrary<PathValue> = fc.oneof(
        { weight: 4, arbitrary: bad },
        { weight: 1, arbitrary: fc.constantFrom<PathValue>({ raw: '%E0%A4%A' }, { raw: '%' }, { raw: '%00' }, { raw: '%2F' }, { raw: '..' }, { raw: '.' }, { raw: '%2e%2e' }, 'x'.repeat(101), 'x'.repeat(1_000)) },
      );
      faults.push(fc.tuple(valid, segment).map(([parts, value]) => ({ ...parts, pathParameters: { ...parts.pathParameters, [parameter.name]: value } })));
    } else if (parameter.in === 'query') {
      faults.push(fc.tuple(valid, bad).map(([parts, value]) => ({ ...parts, query: [...parts.query.filter(([name]) => name !== parameter.name), [parameter.name, value]] })));
      // The same parameter twice: a query string's way of making it a list.
      faults.push(fc.tuple(valid, bad).map(([parts, value]) => ({ ...parts, query: [...parts.query, [parameter.name, value], [parameter.name, value]] })));
    } else {
      faults.push(fc.tuple(valid, fc.oneof(bad.filter((text) => /^[\t\x20-\x7e\x80-\xff]*$/.test(text)), headerText)).map(([parts, value]) => ({ ...parts, headers: { ...parts.headers, [parameter.name]: value } })));
    }
  }
  // A query parameter nobody documented, and query strings that are hard to read.
  faults.push(
    fc.tuple(valid, fc.string({ minLength: 1, maxLength: 10 }), anyText(0, 10)).map(([parts, name, value]) => ({ ...parts, query: [...parts.query, [name, value]] })),
    fc.tuple(valid, fc.constantFrom('%', '%zz', '=', '&&', 'a[b]=c', 'a=b=c', '%E0%A4%A=1', 'minVersion[]=1')).map(([parts, raw]) => ({ ...parts, query: [...parts.query, ['', raw]] })),
  );
  // Headers every request can carry.
  faults.push(
    fc.tuple(valid, headerText).map(([parts, id]) => ({ ...parts, headers: { ...parts.headers, 'x-request-id': id } })),
    fc.tuple(valid, fc.oneof(headerText, fc.constant('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'))).map(([parts, trace]) => ({ ...parts, headers: { ...parts.headers, traceparent: trace } })),
  );
  if (['PATCH', 'PUT', 'DELETE'].includes(operation.method)) {
    faults.push(fc.tuple(valid, ifMatch).map(([parts, precondition]) => ({ ...parts, headers: { ...parts.headers, ...(precondition === undefined ? {} : { 'if-match': precondition }) } })));
  }
  // The body: where a route takes one, every fault of its schema; anywhere, a body of another type or none at all.
  if (operation.body !== undefined) {
    faults.push(
      fc.tuple(valid, invalidValue(operation.body, context)).map(([parts, value]) => ({ ...parts, body: { kind: 'json', value } })),
      fc.tuple(valid, fc.constantFrom(...CONTENT_TYPES_REFUSED)).map(([parts, type]) => ({ ...parts, headers: { ...parts.headers, 'content-type': type } })),
      valid.map((parts) => ({ ...parts, headers: Object.fromEntries(Object.entries(parts.headers).filter(([name]) => name !== 'content-type')) })),
    );
  }
  faults.push(
    fc.tuple(valid, fc.oneof(fc.constantFrom(...MALFORMED_JSON), fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value) ?? '')), fc.constantFrom(...CONTENT_TYPES_ACCEPTED)).map(([parts, text, type]) => ({
      ...parts,
      headers: { ...parts.headers, 'content-type': type },
      body: { kind: 'raw', text },
    })),
    fc.tuple(valid, fc.constantFrom(...CONTENT_TYPES_REFUSED), fc.string({ maxLength: 20 })).map(([parts, type, text]) => ({ ...parts, headers: { ...parts.headers, 'content-type': type }, body: { kind: 'raw', text } })),
    // Larger than any of the APIs takes.
    fc.tuple(valid, fc.constantFrom(...CONTENT_TYPES_ACCEPTED)).map(([parts, type]) => ({ ...parts, headers: { ...parts.headers, 'content-type': type }, body: { kind: 'raw', text: JSON.stringify({ padding: 'x'.repeat(70 * 1024) }) } })),
  );
  return fc.oneof(...faults);
}

/** A request with one fault in it, or more (each part drawn on its own). */
export function faultyRequest(operation: Operation, context: ValueContext): fc.Arbitrary<RequestTemplate> {
  return faultyParts(operation, context).map((parts) => asTemplate(operation, 'faulty', parts));
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * A request no route takes: a path the document does not have, or a documented path with a method
 * it does not document. `isRoute` says which concrete paths the service serves outside the document
 * (its probes, its docs), which are left out.
 */
export function noRouteRequest(operations: readonly Operation[], isServedPath: (path: string) => boolean): fc.Arbitrary<RequestTemplate> {
  const segment = fc.oneof(
    fc.constantFrom('users', 'orders', 'cancel', 'api', 'v1', 'admin', 'docs', '..', '%2e%2e', '%00', '%E0%A4%A', '4b1f6a52-3c1e-4f7a-9d2b-1e2f3a4b5c6d', ''),
    anyText(1, 12).map(encodeText),
  );
  const unknownPath = fc
    .tuple(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.constantFrom(...METHODS), fc.constantFrom('', '', '?a=1', '?%zz'))
    .map(([segments, method, query]) => ({ path: `/${segments.join('/')}`, method, query: query.slice(1) }))
    .filter(({ path }) => !isServedPath(normalizedPath(path)));
  const templates = [...new Set(operations.map((operation) => operation.pathTemplate))];
  const otherMethod = fc
    .tuple(fc.constantFrom(...templates), fc.constantFrom(...METHODS), fc.uuid())
    .filter(([template, method]) => !operations.some((operation) => operation.pathTemplate === template && (operation.method === method || (method === 'HEAD' && operation.method === 'GET'))))
    .map(([template, method, id]) => ({ path: template.replace(/\{[^}]+\}/g, id), method, query: '' }));
  return fc.oneof(unknownPath, otherMethod).map(({ path, method, query }) => ({
    intent: 'no-route' as const,
    method,
    operation: undefined,
    pathParameters: {},
    path,
    query,
    headers: {},
    body: { kind: 'none' as const },
  }));
}
