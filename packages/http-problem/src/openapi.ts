import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export interface OpenApiInfo {
  title: string;
  version: string;
  description: string;
}

/** Where every API serves its document: the UI at /docs, the JSON at /docs/json. */
export const DOCS_PATH = '/docs';

/**
 * Serves the API's OpenAPI document, generated from the JSON Schemas its routes validate and
 * answer with. Await it before registering the routes: the document is collected as they are.
 * Shared schemas appear under their own $id (`#/components/schemas/Problem`), not a number.
 */
export async function serveOpenApi(app: FastifyInstance, info: OpenApiInfo): Promise<void> {
  await app.register(swagger, {
    openapi: { info },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, index) => (typeof json.$id === 'string' ? json.$id : `def-${index}`) },
  });
  await app.register(swaggerUi, { routePrefix: DOCS_PATH });
}
