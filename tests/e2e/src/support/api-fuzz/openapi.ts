/**
 * The part of an OpenAPI 3.0 document the fuzzer reads: each operation's parameters, body and
 * answers, with every `$ref` to `#/components/schemas` resolved, so a schema can be generated from
 * and validated against on its own.
 */

/** A JSON Schema as OpenAPI 3.0 writes it (with `nullable`); read, never written. */
export interface Schema {
  type?: string | string[];
  nullable?: boolean;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  $ref?: string;
  description?: string;
}

export type ParameterLocation = 'path' | 'query' | 'header';

export interface Parameter {
  name: string;
  in: ParameterLocation;
  required: boolean;
  schema: Schema;
}

export interface DocumentedAnswer {
  /** By media type (application/json, application/problem+json); empty when the answer has no body (204). */
  content: Record<string, Schema>;
}

export interface Operation {
  method: string;
  /** As the document writes it: /users/{id}. */
  pathTemplate: string;
  parameters: Parameter[];
  /** The application/json body's schema, when the operation takes one. */
  body: Schema | undefined;
  bodyRequired: boolean;
  answers: Map<number, DocumentedAnswer>;
}

interface RawOperation {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: Schema }>;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, RawOperation>>;
  components?: { schemas?: Record<string, Schema> };
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** The schema with every `#/components/schemas/…` reference replaced by what it names (the documents have no cycles). */
export function resolveRefs(schema: Schema, document: OpenApiDocument): Schema {
  if (schema.$ref !== undefined) {
    const name = /^#\/components\/schemas\/(.+)$/.exec(schema.$ref)?.[1];
    const target = name === undefined ? undefined : document.components?.schemas?.[name];
    if (target === undefined) throw new Error(`the document refers to ${schema.$ref}, which it does not define`);
    return resolveRefs(target, document);
  }
  const resolved: Schema = { ...schema };
  if (schema.items) resolved.items = resolveRefs(schema.items, document);
  if (schema.properties) resolved.properties = Object.fromEntries(Object.entries(schema.properties).map(([name, property]) => [name, resolveRefs(property, document)]));
  if (typeof schema.additionalProperties === 'object') resolved.additionalProperties = resolveRefs(schema.additionalProperties, document);
  return resolved;
}

/** Every operation of the document, its schemas resolved. */
export function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([pathTemplate, methods]) =>
    Object.entries(methods)
      .filter(([method]) => HTTP_METHODS.has(method))
      .map(([method, raw]): Operation => {
        const jsonBody = raw.requestBody?.content?.['application/json']?.schema;
        return {
          method: method.toUpperCase(),
          pathTemplate,
          parameters: (raw.parameters ?? []).map((parameter) => ({
            name: parameter.name,
            in: parameter.in as ParameterLocation,
            required: parameter.required ?? parameter.in === 'path',
            schema: resolveRefs(parameter.schema ?? {}, document),
          })),
          body: jsonBody === undefined ? undefined : resolveRefs(jsonBody, document),
          bodyRequired: raw.requestBody?.required ?? false,
          answers: new Map(
            Object.entries(raw.responses ?? {}).map(([status, answer]) => [
              Number(status),
              { content: Object.fromEntries(Object.entries(answer.content ?? {}).map(([type, media]) => [type, resolveRefs(media.schema ?? {}, document)])) },
            ]),
          ),
        };
      }),
  );
}

/** Which operation of the document a concrete request reaches, and which methods a path is documented with. */
export class DocumentedRoutes {
  private readonly patterns: Array<{ template: string; pattern: RegExp }>;

  constructor(private readonly operations: readonly Operation[]) {
    // A template's {parameter} is one path segment.
    this.patterns = [...new Set(operations.map((operation) => operation.pathTemplate))].map((template) => ({
      template,
      pattern: new RegExp(`^${template.split('/').map((segment) => (/^\{.+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}$`),
    }));
  }

  /** The operation a request for `path` (as the router sees it) with `method` reaches; HEAD reaches GET's. */
  operationFor(method: string, path: string): Operation | undefined {
    const template = this.templateOf(path);
    return this.operations.find((operation) => operation.pathTemplate === template && (operation.method === method || (method === 'HEAD' && operation.method === 'GET')));
  }

  /** The methods the document serves `path` with, HEAD beside GET: what a 405's Allow must list. */
  methodsOf(path: string): string[] {
    const template = this.templateOf(path);
    const methods = this.operations.filter((operation) => operation.pathTemplate === template).map((operation) => operation.method);
    return [...new Set(methods.includes('GET') ? [...methods, 'HEAD'] : methods)].sort();
  }

  private templateOf(path: string): string | undefined {
    return this.patterns.find(({ pattern }) => pattern.test(path))?.template;
  }
}
