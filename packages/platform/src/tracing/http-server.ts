import { SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { ATTR_HTTP_RESPONSE_STATUS_CODE } from '@opentelemetry/semantic-conventions';
import { httpServerAttributes, type HttpServerFacts } from './semantics.ts';
import { tracingEnabled } from './setup.ts';
import { contextOf, freshTraceContext } from './trace-context.ts';
import { recordFailure, startSpan } from './spans.ts';

export interface ServerRequest extends HttpServerFacts {
  /** The client's traceparent header: continued when well-formed, ignored otherwise. */
  traceparent: string | string[] | undefined;
}

/** One request's trace: the context its work runs in, and the end of its SERVER span. */
export interface ServerRequestTrace {
  readonly context: Context;
  /** Ends the span with the answer's status; 5xx marks it failed. A no-op when tracing is off, and the second time. */
  end(statusCode: number, error?: unknown): void;
}

const untraced = (context: Context): ServerRequestTrace => ({ context, end: () => undefined });

/**
 * Starts a request's SERVER span, the child of the client's traceparent when it sent a valid one,
 * else the root of a new trace. With tracing off no span is started, and the context is the
 * client's trace, or a new unsampled one: what a write then puts in its outbox row.
 */
export function startServerRequest(request: ServerRequest): ServerRequestTrace {
  const parent = contextOf(request.traceparent);
  if (!tracingEnabled()) return untraced(trace.getSpanContext(parent) ? parent : freshTraceContext());
  const span: Span = startSpan({
    name: request.route === undefined ? request.method : `${request.method} ${request.route}`,
    kind: SpanKind.SERVER,
    attributes: httpServerAttributes(request),
    parent,
  });
  let ended = false;
  return {
    context: trace.setSpan(parent, span),
    end(statusCode, error) {
      if (ended) return;
      ended = true;
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, statusCode);
      // Per the HTTP conventions a 4xx is the client's mistake, not the server span's failure.
      if (statusCode >= 500 && error !== undefined) recordFailure(span, error);
      else if (statusCode >= 500) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.setAttribute('error.type', String(statusCode));
      }
      span.end();
    },
  };
}
