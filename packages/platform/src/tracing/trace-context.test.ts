import { describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { activeTraceparent, contextOf, freshTraceContext, parseTraceparent, spanContextOf, traceIdOf, traceparentOf, withContext } from './trace-context.ts';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('parseTraceparent', () => {
  it('accepts W3C trace context, normalised to lower case', () => {
    expect(parseTraceparent(VALID.toUpperCase())).toBe(VALID);
    expect(parseTraceparent([VALID, 'ignored'])).toBe(VALID);
  });

  it.each([
    ['absent', undefined],
    ['garbage', 'hello'],
    ['an all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['an all-zero parent id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['an unknown version', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['a short trace id', '00-4bf92f3577b34da6a3ce929d0e0e47-00f067aa0ba902b7-01'],
  ])('drops %s', (_label, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
    expect(contextOf(value)).toBe(ROOT_CONTEXT);
  });
});

describe('span contexts', () => {
  it('round-trips a traceparent through a remote span context', () => {
    const spanContext = spanContextOf(VALID);
    expect(spanContext).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED, isRemote: true });
    expect(traceparentOf(spanContext!)).toBe(VALID);
    expect(trace.getSpanContext(contextOf(VALID))).toEqual(spanContext);
  });

  it('keeps only the sampled flag of a client', () => {
    expect(spanContextOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff')?.traceFlags).toBe(TraceFlags.SAMPLED);
    expect(traceparentOf(spanContextOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02')!)).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00');
  });

  it('makes a new unsampled trace each time one is needed without a client context', () => {
    const first = trace.getSpanContext(freshTraceContext())!;
    const second = trace.getSpanContext(freshTraceContext())!;
    expect(parseTraceparent(traceparentOf(first))).toBeDefined();
    expect(first.traceFlags).toBe(TraceFlags.NONE);
    expect(first.traceId).not.toBe(second.traceId);
  });
});

describe('withContext', () => {
  it('carries the context across awaits inside the work, and only there, without tracing started', async () => {
    const seen = await withContext(contextOf(VALID), async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return activeTraceparent();
    });
    expect(seen).toBe(VALID);
    expect(activeTraceparent()).toBeUndefined();
  });
});

describe('traceIdOf', () => {
  it('is the trace id of a well-formed traceparent, and nothing for anything else', () => {
    expect(traceIdOf(VALID)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceIdOf('00-00000000000000000000000000000000-00f067aa0ba902b7-01')).toBeUndefined();
    expect(traceIdOf(undefined)).toBeUndefined();
  });
});
