import { afterEach, describe, expect, it, vi } from 'vitest';
import { trace } from '@opentelemetry/api';
import { startServerRequest } from './http-server.ts';
import { OTLP_SPAN_KIND, startOtlpReceiver } from './otlp-receiver.ts';
import { inChildSpan, inSpan, SpanKind } from './spans.ts';
import { startTracing, stopTracing, tracingEnabled } from './setup.ts';
import { activeTraceparent, traceIdOf, withContext } from './trace-context.ts';

const CLIENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

afterEach(async () => {
  await stopTracing();
  vi.unstubAllEnvs();
});

describe('startTracing without an OTLP endpoint', () => {
  it('registers no tracer provider: spans are the API no-op and nothing is recorded', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', '');
    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', '');
    const tracing = await startTracing({ serviceName: 'test' });
    expect(tracing.enabled).toBe(false);
    expect(tracingEnabled()).toBe(false);
    expect(trace.getTracer('any').startSpan('x').isRecording()).toBe(false);
    let seen: unknown = 'not called';
    await inSpan({ name: 'work', kind: SpanKind.INTERNAL }, async (span) => {
      seen = span;
    });
    expect(seen).toBeUndefined();
    await tracing.shutdown();
  });

  it('still gives a write a trace context to store: the client\'s, or a new one', async () => {
    await startTracing({ serviceName: 'test' });
    const continued = startServerRequest({ traceparent: CLIENT, method: 'POST', path: '/users' });
    expect(withContext(continued.context, activeTraceparent)).toBe(CLIENT);
    const fresh = startServerRequest({ traceparent: 'garbage', method: 'POST', path: '/users' });
    const stored = await withContext(fresh.context, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return activeTraceparent();
    });
    expect(stored).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(activeTraceparent()).toBeUndefined();
  });
});

describe('startTracing with an OTLP endpoint', () => {
  it('exports connected spans over OTLP/HTTP, named after the service, flushed by shutdown', async () => {
    const receiver = await startOtlpReceiver();
    try {
      vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', receiver.url);
      vi.stubEnv('OTEL_SERVICE_NAME', '');
      const tracing = await startTracing({ serviceName: 'unit-test-service' });
      expect(tracing.enabled).toBe(true);

      const request = startServerRequest({ traceparent: CLIENT, method: 'POST', path: '/users', route: '/users' });
      const stored = await withContext(request.context, () =>
        inChildSpan(() => ({ name: 'transaction', kind: SpanKind.CLIENT }), () => inSpan({ name: 'send t', kind: SpanKind.PRODUCER }, async () => activeTraceparent())),
      );
      request.end(201);
      // Outside any request: no span of its own.
      await inChildSpan(() => ({ name: 'background', kind: SpanKind.CLIENT }), async () => undefined);
      await tracing.shutdown();

      const spans = receiver.spans();
      expect(spans.map((span) => span.name).sort()).toEqual(['POST /users', 'send t', 'transaction']);
      const byName = Object.fromEntries(spans.map((span) => [span.name, span]));
      const server = byName['POST /users']!;
      expect(server).toMatchObject({ traceId: traceIdOf(CLIENT), parentSpanId: '00f067aa0ba902b7', kind: OTLP_SPAN_KIND.SERVER, serviceName: 'unit-test-service' });
      expect(server.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/users', 'http.response.status_code': 201 });
      expect(byName.transaction!.parentSpanId).toBe(server.spanId);
      expect(byName['send t']!.parentSpanId).toBe(byName.transaction!.spanId);
      // What the outbox stores is the producer span's own context.
      expect(stored).toBe(`00-${server.traceId}-${byName['send t']!.spanId}-01`);
    } finally {
      await receiver.close();
    }
  });

  it('marks a 5xx answer and a failed span as errors', async () => {
    const receiver = await startOtlpReceiver();
    try {
      vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', `${receiver.url}/v1/traces`);
      await startTracing({ serviceName: 'unit-test-service' });
      const request = startServerRequest({ traceparent: undefined, method: 'POST', path: '/users' });
      await expect(withContext(request.context, () => inSpan({ name: 'fails', kind: SpanKind.INTERNAL }, async () => Promise.reject(new RangeError('boom'))))).rejects.toThrow('boom');
      request.end(503);
      request.end(200);
      await stopTracing();
      const [failed, server] = ['fails', 'POST'].map((name) => receiver.spans().find((span) => span.name === name)!);
      expect(failed).toMatchObject({ statusCode: 2, attributes: { 'error.type': 'RangeError' }, events: ['exception'] });
      expect(server).toMatchObject({ statusCode: 2, attributes: { 'http.response.status_code': 503 } });
      expect(server!.parentSpanId).toBeUndefined();
    } finally {
      await receiver.close();
    }
  });
});
