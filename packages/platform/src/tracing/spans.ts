import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span, type TimeInput, type Tracer } from '@opentelemetry/api';
import { tracingEnabled } from './setup.ts';

/** The instrumentation scope of every span Evergreen's own code starts. */
export const TRACER_NAME = '@evergreen/platform';

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

export interface SpanSpec {
  name: string;
  kind: SpanKind;
  attributes?: Attributes;
  links?: Link[];
  startTime?: TimeInput;
  /** The parent; the active context when not given. */
  parent?: Context;
}

/** Starts a span (not made active); end it yourself. Call only when tracingEnabled(). */
export function startSpan(spec: SpanSpec): Span {
  const { name, parent, ...options } = spec;
  return tracer().startSpan(name, options, parent ?? context.active());
}

/** `base` (the root context by default) with `span` as the parent of what starts in it. */
export function contextWithSpan(span: Span, base: Context = ROOT_CONTEXT): Context {
  return trace.setSpan(base, span);
}

/** Marks a span failed by `error`: the exception as an event, error.type, and an error status. */
export function recordFailure(span: Span, error: unknown): void {
  const failure = error instanceof Error ? error : new Error(String(error));
  span.recordException(failure);
  span.setAttribute('error.type', failure.name);
  span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
}

/**
 * Runs `work` inside a new span, active for everything it awaits, and ends the span when the
 * work settles; a failure is recorded on it. With tracing off, `work` runs as it is: no span, no
 * context switch, nothing allocated.
 */
export async function inSpan<T>(spec: SpanSpec, work: (span: Span | undefined) => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return work(undefined);
  const span = startSpan(spec);
  try {
    return await context.with(trace.setSpan(spec.parent ?? context.active(), span), () => work(span));
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * inSpan for work that is a part of something traced (a request's transaction): a span only when
 * a span is active, so background work (a sweeper, a rebuild) starts no trace of its own. `spec`
 * is asked for only then.
 */
export async function inChildSpan<T>(spec: () => SpanSpec, work: (span: Span | undefined) => Promise<T>): Promise<T> {
  if (!tracingEnabled() || trace.getActiveSpan() === undefined) return work(undefined);
  return inSpan(spec(), work);
}

export { SpanKind, SpanStatusCode };
export type { Attributes, Context, Link, Span, TimeInput };
