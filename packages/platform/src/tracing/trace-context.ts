import { randomBytes } from 'node:crypto';
import { context, isSpanContextValid, ROOT_CONTEXT, trace, TraceFlags, type Context, type SpanContext } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

// W3C Trace Context: version "00", a 32-hex trace id and a 16-hex parent id (neither all zeros), 2-hex flags.
const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The traceparent header value when it is well-formed W3C Trace Context, otherwise undefined (a bad one is dropped, not propagated). */
export function parseTraceparent(value: string | string[] | undefined): string | undefined {
  const single = Array.isArray(value) ? value[0] : value;
  const candidate = single?.trim().toLowerCase();
  return candidate && TRACEPARENT.test(candidate) ? candidate : undefined;
}

/** The trace id (32 hex) of a traceparent header value, when it is well-formed. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  return parseTraceparent(traceparent)?.split('-')[1];
}

/** The span context a well-formed traceparent names, as a remote parent; undefined for anything else. */
export function spanContextOf(traceparent: string | string[] | undefined): SpanContext | undefined {
  const valid = parseTraceparent(traceparent);
  if (valid === undefined) return undefined;
  const [, traceId, spanId, flags] = valid.split('-') as [string, string, string, string];
  // Only the sampled bit is defined; the others are kept off rather than passed on blindly.
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED, isRemote: true };
}

/** The traceparent header value of a span context. */
export function traceparentOf(spanContext: SpanContext): string {
  return `00-${spanContext.traceId}-${spanContext.spanId}-0${(spanContext.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}

/** `base` (the root context by default) with the traceparent's span as its parent; `base` itself when the traceparent is absent or malformed. */
export function contextOf(traceparent: string | string[] | undefined, base: Context = ROOT_CONTEXT): Context {
  const spanContext = spanContextOf(traceparent);
  return spanContext ? trace.setSpanContext(base, spanContext) : base;
}

/**
 * A new trace's context, not sampled, for a write that arrives without one while tracing is off:
 * its events still carry a trace id that logs and the activity log can be searched by.
 */
export function freshTraceContext(): Context {
  const ids = randomBytes(24).toString('hex');
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: ids.slice(0, 32), spanId: ids.slice(32), traceFlags: TraceFlags.NONE, isRemote: true });
}

/** The traceparent of the span the work in progress runs in (the active OpenTelemetry context), if any. */
export function activeTraceparent(): string | undefined {
  const spanContext = trace.getSpanContext(context.active());
  return spanContext && isSpanContextValid(spanContext) ? traceparentOf(spanContext) : undefined;
}

let contextManaged = false;

/**
 * Registers the context manager that makes a context follow awaits (an AsyncLocalStorage), once:
 * one way to carry a trace, on or off, and in a process that never started tracing too (a test's
 * in-process API). No global propagator: traceparent is read and written here, the client's validated.
 */
export function ensureContextManager(): void {
  if (contextManaged) return;
  contextManaged = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

/** Runs `work` with `active` as the OpenTelemetry context of everything it awaits. */
export function withContext<T>(active: Context, work: () => T): T {
  ensureContextManager();
  return context.with(active, work);
}
