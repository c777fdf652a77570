// The one tracing module of Evergreen (docs/tracing.md): OpenTelemetry set up per process, the
// trace context carried through writes and records, and the spans' semantic-convention attributes.
export { startTracing, stopTracing, tracingEnabled, tracingOffBecause } from './setup.ts';
export type { Environment, Tracing, TracingOptions } from './setup.ts';
export { activeTraceparent, contextOf, freshTraceContext, parseTraceparent, spanContextOf, traceIdOf, traceparentOf, withContext } from './trace-context.ts';
export { contextWithSpan, inChildSpan, inSpan, recordFailure, startSpan, tracer, TRACER_NAME, SpanKind, SpanStatusCode } from './spans.ts';
export type { Attributes, Context, Link, Span, SpanSpec, TimeInput } from './spans.ts';
export { consumedRecordAttributes, databaseAttributes, httpServerAttributes, messagingAttributes } from './semantics.ts';
export type { ConsumedRecordFacts, DatabaseFacts, HttpServerFacts, MessageFacts, StoreFacts } from './semantics.ts';
export { startServerRequest } from './http-server.ts';
export type { ServerRequest, ServerRequestTrace } from './http-server.ts';
