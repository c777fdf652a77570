import { describe, expect, it } from 'vitest';
import { activeTraceContext, parseTraceparent, traceIdOf, withTraceContext } from './trace-context.ts';

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
  });
});

describe('withTraceContext', () => {
  it('makes the context active across awaits inside the work, and only there', async () => {
    const seen = await withTraceContext(VALID, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return activeTraceContext();
    });
    expect(seen).toBe(VALID);
    expect(activeTraceContext()).toBeUndefined();
  });

  it('leaves no context active when there is none to set', () => {
    expect(withTraceContext(undefined, () => activeTraceContext())).toBeUndefined();
  });
});

describe('traceIdOf', () => {
  it('is the trace id of a well-formed traceparent, and nothing for anything else', () => {
    expect(traceIdOf(VALID)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceIdOf('00-00000000000000000000000000000000-00f067aa0ba902b7-01')).toBeUndefined();
    expect(traceIdOf(undefined)).toBeUndefined();
  });
});
