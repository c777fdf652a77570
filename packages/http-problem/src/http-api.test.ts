import { describe, expect, it } from 'vitest';
import { createHttpApi } from './http-api.ts';
import { serveOpenApi } from './openapi.ts';
import { problemResponses } from './schemas.ts';

interface Document {
  paths: Record<string, Record<string, { responses: Record<string, { description: string; content?: Record<string, unknown> }> }>>;
}

async function documentedApp() {
  const app = createHttpApi({ bodyLimit: 1024, notFoundHint: 'see /docs' });
  await serveOpenApi(app, { title: 'test', version: '1', description: 'an API on the foundation' });
  app.get('/things/:id', { schema: { response: { 200: { type: 'object' }, ...problemResponses({ 404: 'No such thing.' }, 404) } } }, async () => ({}));
  app.delete('/things/:id', { schema: { response: { 204: { type: 'null' } } } }, async (_request, reply) => reply.code(204).send());
  app.post('/things', { schema: { body: { type: 'object' }, response: { 201: { type: 'object' }, ...problemResponses({ 413: 'Over 1 KiB.' }, 413) } } }, async (_request, reply) => reply.code(201).send({}));
  app.get('/hidden', { schema: { hide: true } }, async () => ({}));
  return app;
}

describe('createHttpApi', () => {
  it('documents on every route the problems the foundation answers whatever the route does, its own words first', async () => {
    const app = await documentedApp();

    const { paths } = (await app.inject({ method: 'GET', url: '/docs/json' })).json<Document>();
    const statuses = (path: string, method: string) => Object.keys(paths[path]?.[method]?.responses ?? {});

    // 413 and 415 where Fastify reads a body (a DELETE's too), 414 where a path parameter can be too long.
    expect(statuses('/things/{id}', 'get')).toEqual(['200', '400', '404', '414', '500', '503']);
    expect(statuses('/things/{id}', 'delete')).toEqual(['204', '400', '413', '414', '415', '500', '503']);
    expect(statuses('/things', 'post')).toEqual(['201', '400', '413', '415', '500', '503']);
    expect(paths['/things']?.post?.responses['413']?.description).toBe('Over 1 KiB.');
    expect(paths['/things/{id}']?.get?.responses['503']?.content).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } });
    expect(paths['/hidden']).toBeUndefined();
  });

  it.each<[string, 'GET' | 'PUT', string, number, string]>([
    ['no route', 'GET', '/nothing', 404, 'route-not-found'],
    ['another method', 'PUT', '/things', 405, 'method-not-allowed'],
    ['a broken percent-encoding', 'GET', '/things/%E0%A4%A', 400, 'malformed-url'],
    ['a path parameter over 100 characters', 'GET', `/things/${'x'.repeat(101)}`, 414, 'uri-too-long'],
  ])('answers %s with a problem carrying the request id', async (_case, method, url, status, slug) => {
    const app = await documentedApp();

    const answer = await app.inject({ method, url, headers: { 'x-request-id': 'probe-7' } });

    expect(answer.statusCode).toBe(status);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answer.json()).toMatchObject({ type: `https://evergreen.dev/problems/${slug}`, status });
    expect(answer.headers['x-request-id']).toBe('probe-7');
  });
});
