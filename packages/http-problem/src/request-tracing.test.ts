import { afterEach, describe, expect, it, vi } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { activeTraceparent, startTracing, stopTracing } from '@evergreen/platform';
import { OTLP_SPAN_KIND, startOtlpReceiver, type OtlpReceiver } from '@evergreen/platform/otlp-receiver';
import { runTraced, traceRequests } from './request-tracing.ts';

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

/** An app whose write route answers the traceparent its work ran under, as the outbox would store it. */
async function buildApp(): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  traceRequests(app);
  app.get('/ready', async () => ({ status: 'ready' }));
  app.post('/things/:id', async (request) => ({ stored: await runTraced(request, async () => activeTraceparent()) }));
  app.post('/broken', async () => {
    throw new Error('the database went away');
  });
  return app;
}

let receiver: OtlpReceiver | undefined;

afterEach(async () => {
  await stopTracing();
  await receiver?.close();
  receiver = undefined;
  vi.unstubAllEnvs();
});

describe('traceRequests with tracing on', () => {
  it("gives each request a SERVER span under the client's, the parent of the route's work; probes get none; a 5xx fails", async () => {
    receiver = await startOtlpReceiver();
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', receiver.url);
    await startTracing({ serviceName: 'http-test' });
    const app = await buildApp();
    const answer = await app.inject({ method: 'POST', url: '/things/7?x=1', headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` } });
    await app.inject({ method: 'GET', url: '/ready' });
    expect((await app.inject({ method: 'POST', url: '/broken' })).statusCode).toBe(500);
    await app.close();
    await stopTracing();

    const spans = receiver.spans();
    expect(spans.map((span) => span.name).sort()).toEqual(['POST /broken', 'POST /things/:id']);
    const thing = spans.find((span) => span.name === 'POST /things/:id')!;
    expect(thing).toMatchObject({
      traceId: CLIENT_TRACE,
      parentSpanId: CLIENT_SPAN,
      kind: OTLP_SPAN_KIND.SERVER,
      statusCode: 0,
      attributes: { 'http.request.method': 'POST', 'http.route': '/things/:id', 'url.path': '/things/7', 'http.response.status_code': 200 },
    });
    expect(answer.json()).toEqual({ stored: `00-${CLIENT_TRACE}-${thing.spanId}-01` });
    const broken = spans.find((span) => span.name === 'POST /broken')!;
    expect(broken).toMatchObject({ statusCode: 2, attributes: { 'http.response.status_code': 500, 'error.type': 'Error' }, events: ['exception'] });
  });
});

describe('runTraced with tracing off', () => {
  it("runs the work in the client's trace context, or in a new unsampled one", async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', '');
    await startTracing({ serviceName: 'http-test' });
    const app = await buildApp();
    const continued = await app.inject({ method: 'POST', url: '/things/1', headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` } });
    const fresh = await app.inject({ method: 'POST', url: '/things/2', headers: { traceparent: 'not-a-trace' } });
    await app.close();
    expect(continued.json()).toEqual({ stored: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` });
    expect((fresh.json() as { stored: string }).stored).toMatch(/^00-(?!4bf92f35)[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  });
});
